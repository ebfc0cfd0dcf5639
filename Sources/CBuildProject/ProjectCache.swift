import CBuildBasics
import CBuildCache
import CBuildConfig
import Foundation

/// Turns `[cache]` into the engine's remote cache: reads the token and the
/// HMAC key, makes key paths absolute. Nil when no cache is configured.
public enum ProjectCache {
    public static func make(_ configuration: BuildConfiguration, events: any EventSink) -> RemoteCache? {
        guard let config = configuration.project.cache else { return nil }
        let root = configuration.directory.root
        func read(_ relative: String) -> [UInt8]? {
            FileManager.default.contents(atPath: root + "/" + relative).map { [UInt8]($0) }
        }
        var settings = RemoteCache.Settings(remote: config.remote, push: config.push,
                                            trust: config.trust.map { root + "/" + $0 },
                                            timeout: TimeInterval(config.timeout))
        if let tokenFile = config.tokenFile {
            guard let bytes = read(tokenFile) else { return unusable("cannot read token_file \(tokenFile)", events) }
            settings.token = String(decoding: CacheConfig.hmacKey(bytes), as: UTF8.self)
        }
        if let signKey = config.signKey {
            switch config.signKeyKind {
            case .openPGP?: settings.signing = .openPGP(secretKeyFile: root + "/" + signKey)
            default:
                guard let bytes = read(signKey) else { return unusable("cannot read sign_key \(signKey)", events) }
                settings.signing = .hmac(key: CacheConfig.hmacKey(bytes))
            }
        }
        do {
            return try RemoteCache(root: root, settings: settings, events: events)
        } catch {
            return unusable("\(error)", events)
        }
    }

    private static func unusable(_ why: String, _ events: any EventSink) -> RemoteCache? {
        events.emit(.diagnostic(Diagnostic(.warning, "[cache] is not used: \(why)")))
        return nil
    }
}

import CBuildBasics

/// Errors of the catalyst layer: rendering problems carry the template or
/// target file, the line and the key.
public enum CatalystError: UserError, Equatable {
    case unknownToken(file: String, line: Int, token: String, known: [String])
    case unrepresentable(file: String, line: Int?, key: String, problem: String)
    case missingTemplate(file: String, target: String)
    case invalidSpecTemplate(file: String, line: Int, problem: String)

    public var exitStatus: ExitStatus { .usage }

    public var location: SourceLocation? {
        switch self {
        case let .unknownToken(f, l, t, _): return SourceLocation(file: f, line: l, key: "@\(t)@")
        case let .unrepresentable(f, l, k, _): return SourceLocation(file: f, line: l, key: k)
        case let .missingTemplate(f, _): return SourceLocation(file: f)
        case let .invalidSpecTemplate(f, l, _): return SourceLocation(file: f, line: l)
        }
    }

    public var message: String {
        switch self {
        case let .unknownToken(_, _, t, _): return "unknown token @\(t)@"
        case let .unrepresentable(_, _, k, p): return "\(k): \(p); catalyst cannot read this value back"
        case let .missingTemplate(_, t): return "spec template for \(t) does not exist"
        case let .invalidSpecTemplate(_, _, p): return p
        }
    }

    public var hint: String? {
        switch self {
        case let .unknownToken(_, _, t, known):
            return Suggest.didYouMean(t, among: known).map { "\($0) known tokens: " + known.map { "@\($0)@" }.joined(separator: " ") }
                ?? "known tokens: " + known.map { "@\($0)@" }.joined(separator: " ")
        case .unrepresentable: return "remove the character or move the value into a file (fsscript, portage confdir)"
        default: return nil
        }
    }
}

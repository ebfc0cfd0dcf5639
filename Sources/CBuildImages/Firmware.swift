import Foundation

/// The UEFI firmware a boot test runs: OVMF's code (read-only) and a
/// fresh copy of its variable store per boot. Debian 12 ships the 2 MiB
/// pair; newer releases only the 4 MiB one.
public struct Firmware: Sendable, Equatable {
    public var code: String
    public var variables: String

    public static let candidates = [
        Firmware(code: "/usr/share/OVMF/OVMF_CODE.fd", variables: "/usr/share/OVMF/OVMF_VARS.fd"),
        Firmware(code: "/usr/share/OVMF/OVMF_CODE_4M.fd", variables: "/usr/share/OVMF/OVMF_VARS_4M.fd"),
        Firmware(code: "/usr/share/edk2/ovmf/OVMF_CODE.fd", variables: "/usr/share/edk2/ovmf/OVMF_VARS.fd"),
    ]

    /// The first installed pair.
    public static func find() throws -> Firmware {
        guard let f = candidates.first(where: {
            FileManager.default.fileExists(atPath: $0.code) && FileManager.default.fileExists(atPath: $0.variables)
        }) else {
            throw ImageError.toolMissing(tool: "OVMF firmware (\(candidates[0].code))", package: "ovmf")
        }
        return f
    }

    /// `-drive` arguments with `variables` copied into `scratch`.
    func qemuArguments(scratch: String) throws -> [String] {
        let copy = scratch + "/OVMF_VARS.fd"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: variables, toPath: copy)
        return ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=\(code)",
                "-drive", "if=pflash,format=raw,unit=1,file=\(copy)"]
    }
}

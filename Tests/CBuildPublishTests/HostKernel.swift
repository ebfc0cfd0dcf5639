import Foundation
import Testing

/// The host's EFI-stub kernel (`/boot/vmlinuz-*`, from Debian's
/// linux-image-amd64), which the simulator copies into the stage4 so the
/// image rule finds something it can boot (`CATALYST_SIM_KERNEL_IMAGE`).
enum HostKernel {
    static func path() throws -> String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: "/boot")) ?? []
        guard let k = files.filter({ $0.hasPrefix("vmlinuz-") }).sorted().last else {
            try Test.cancel("skipped: no /boot/vmlinuz-* for the image (scripts/install-deps installs linux-image-amd64)")
        }
        return "/boot/" + k
    }
}

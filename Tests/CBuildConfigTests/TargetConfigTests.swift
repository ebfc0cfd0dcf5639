import CBuildBasics
import CBuildTestSupport
import Testing
@testable import CBuildConfig

@Suite struct TargetConfigTests {
    @Test func everyKeyIsRead() throws {
        let dir = try fixture(["targets/vm/test.toml": """
            description = "test VM"
            stage = 4
            seed = "stage4/base"
            snapshot = "testing"
            profile = "default/linux/amd64/23.0"
            subarch = "amd64"
            spec = "./specs//stage4.spec"
            features = ["ssh"]
            packages = ["app-misc/hello", ">=dev-lang/python-3.12:3.12", "@world"]
            use = ["-X", "python_targets_python3_12"]
            services = ["sshd|default", "local"]
            images = ["qcow2", "raw"]

            [kernel]
            config = "kernel/vm.config"
            sources = "sys-kernel/gentoo-kernel"

            [spec_extra]
            "stage4/rcdel" = ["netmount|default"]
            "boot/kernel/gentoo/extraversion" = "vm"
            "stage4/empty" = ["/var/tmp", "/tmp"]

            [vars]
            REL_TYPE = "vm"
            HOST_NAME = "test-01"
            """])
        defer { dir.remove() }
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        let target = try #require(config.targets["vm/test"])
        #expect(target.file == "targets/vm/test.toml")
        #expect(target.nodeName == "stage4/vm/test")
        #expect(target.stage == .stage(4))
        #expect(target.seed == .target("stage4/base"))
        #expect(target.snapshot == "testing" && target.snapshotIsExplicit)
        #expect(target.spec == "specs/stage4.spec")
        #expect(target.packages == ["app-misc/hello", ">=dev-lang/python-3.12:3.12", "@world"])
        #expect(target.kernel == KernelConfig(config: "kernel/vm.config", sources: "sys-kernel/gentoo-kernel"))
        #expect(target.images == ["qcow2", "raw"])
        #expect(target.specExtra == [
            SpecExtraEntry(key: "stage4/rcdel", value: .list(["netmount|default"])),
            SpecExtraEntry(key: "boot/kernel/gentoo/extraversion", value: .string("vm")),
            SpecExtraEntry(key: "stage4/empty", value: .list(["/var/tmp", "/tmp"])),
        ])
        #expect(target.vars == ["REL_TYPE": "vm", "HOST_NAME": "test-01"])
        #expect(target.description == "test VM")
        let resolved = try config.resolve(target: "vm/test", fleet: nil)
        #expect(resolved.specExtra == target.specExtra)
        #expect(resolved.vars == target.vars)
        #expect(resolved.kernel == target.kernel)
        #expect(resolved.specTemplate == "specs/stage4.spec")
    }

    @Test func defaultsAndOtherStages() throws {
        let dir = try fixture(["targets/stage1.toml": "stage = 1\nseed = \"seed/amd64-openrc\"\nprofile = \"p/q\"\nsubarch = \"amd64\"\n",
                               "targets/stage3.toml": "stage = 3\nseed = \"stage1/stage1\"\nprofile = \"p/q\"\nsubarch = \"amd64\"\n",
                               "targets/disk.toml": "stage = \"diskimage\"\nseed = \"stage3/stage3\"\nprofile = \"p/q\"\nsubarch = \"amd64\"\n"])
        defer { dir.remove() }
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        #expect(config.targets["stage1"]?.nodeName == "stage1/stage1")
        #expect(config.targets["disk"]?.nodeName == "diskimage/disk")
        let disk = try config.resolve(target: "disk", fleet: nil)
        #expect(disk.seed == .target("stage3/stage3"))
        #expect(disk.snapshotRole == "stable")
        #expect(disk.specTemplate == nil)
        #expect(disk.features.isEmpty && disk.packages.isEmpty && disk.kernel == nil)
        #expect(config.targets["disk"]?.snapshotIsExplicit == false)
        #expect(StageKind(nodePrefix: "stage2") == .stage(2))
        #expect(StageKind(nodePrefix: "stage5") == nil)
    }
}

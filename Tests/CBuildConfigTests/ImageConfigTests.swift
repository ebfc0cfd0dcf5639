import CBuildBasics
import CBuildTestSupport
import Testing
@testable import CBuildConfig

private func vm(_ extra: String, stage: Int = 4) -> String {
    "stage = \(stage)\nseed = \"seed/amd64-openrc\"\nprofile = \"default/linux/amd64/23.0\"\nsubarch = \"amd64\"\n" + extra + "\n"
}

/// `images = [...]` and the `[image]` table of a target.
@Suite struct ImageConfigTests {
    @Test func everyImageKeyIsRead() throws {
        let dir = try fixture(["targets/vm/test.toml": vm("""
            images = ["qcow2", "vhd", "raw", "vmdk"]
            [image]
            size = "20G"
            filesystem = "ext4"
            esp_size = "512MiB"
            kernel_cmdline = "quiet net.ifnames=0"
            serial_console = "ttyS1,9600"
            kernel = "/boot/vmlinuz-6.6.58-gentoo-dist"
            initramfs = "/boot/initramfs-6.6.58-gentoo-dist.img"
            boot_marker = "Welcome to Gentoo"
            boot_timeout = 900
            boot_memory = "2G"
            accelerator = "tcg"
            compress = true
            """)])
        defer { dir.remove() }
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        let target = try #require(config.targets["vm/test"])
        #expect(target.images == ["qcow2", "vhd", "raw", "vmdk"])
        let image = target.image
        #expect(image.size == 20 << 30 && image.espSize == 512 << 20 && image.filesystem == "ext4")
        #expect(image.kernelCommandLine == "quiet net.ifnames=0" && image.serialConsole == "ttyS1,9600")
        #expect(image.kernel == "/boot/vmlinuz-6.6.58-gentoo-dist" && image.initramfs == "/boot/initramfs-6.6.58-gentoo-dist.img")
        #expect(image.bootMarker == "Welcome to Gentoo" && image.bootTimeout == 900 && image.bootMemory == 2 << 30)
        #expect(image.accelerator == "tcg" && image.compress)
        #expect(try config.resolve(target: "vm/test", fleet: nil).image == image)
    }

    @Test func withoutATableTheDefaultsApply() throws {
        let dir = try fixture(["targets/vm/test.toml": vm("images = [\"qcow2\"]")])
        defer { dir.remove() }
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        let image = try #require(config.targets["vm/test"]).image
        #expect(image == ImageConfig())
        #expect(image.size == 8 << 30 && image.espSize == 256 << 20 && image.serialConsole == "ttyS0,115200")
        #expect(image.bootMarker == "login:" && image.bootTimeout == 300 && image.accelerator == "auto" && !image.compress)
    }

    @Test(arguments: [("8G", Int64(8) << 30), ("512M", Int64(512) << 20), ("1536MiB", Int64(1536) << 20),
                      ("2g", Int64(2) << 30), ("1T", Int64(1) << 40), ("1024K", Int64(1) << 20)])
    func sizesAreBinaryUnitsOfWholeMiB(text: String, bytes: Int64) {
        #expect(ImageConfig.parseSize(text) == bytes)
    }

    @Test(arguments: ["1000", "1.5G", "-1G", "100K", "G", "8 GB x", ""])
    func otherSizesAreRefused(text: String) {
        #expect(ImageConfig.parseSize(text) == nil)
    }

    static let bad: [(String, String, Int, String, String)] = [
        ("unknown image format", "images = [\"qcow2\", \"vdi\"]", 5, "images", "'vdi' is not an image format"),
        ("unknown [image] key", "[image]\nsize = \"8G\"\nsiez = 1", 7, "image.siez", "unknown key 'image.siez'"),
        ("size not in MiB", "[image]\nsize = \"1000\"", 6, "image.size", "'1000' is not a size in whole MiB"),
        ("size as a number", "[image]\nsize = 8", 6, "image.size", "expected a string"),
        ("ESP too small", "[image]\nesp_size = \"16M\"", 6, "image.esp_size", "at least 40M"),
        ("disk smaller than the ESP", "[image]\nsize = \"256M\"\nesp_size = \"256M\"", 6, "image.size", "at least 64M larger"),
        ("other filesystem", "[image]\nfilesystem = \"btrfs\"", 6, "image.filesystem", "'btrfs' is not a supported root filesystem"),
        ("relative kernel path", "[image]\nkernel = \"boot/vmlinuz\"", 6, "image.kernel", "not an absolute path"),
        ("kernel path with ..", "[image]\ninitramfs = \"/boot/../etc/shadow\"", 6, "image.initramfs", "without '..'"),
        ("empty marker", "[image]\nboot_marker = \"\"", 6, "image.boot_marker", "one non-empty line"),
        ("zero timeout", "[image]\nboot_timeout = 0", 6, "image.boot_timeout", "between 1 and 86400"),
        ("unknown accelerator", "[image]\naccelerator = \"hvf\"", 6, "image.accelerator", "'hvf' is not an accelerator"),
        ("console with a space", "[image]\nserial_console = \"ttyS0 115200\"", 6, "image.serial_console", "is not a console device"),
    ]

    @Test(arguments: 0..<bad.count)
    func badImageSettingsAreReportedAtTheirKey(_ index: Int) throws {
        let (_, extra, line, key, message) = Self.bad[index]
        let dir = try fixture(["targets/vm/test.toml": vm(extra)])
        defer { dir.remove() }
        expectLoadError(dir, file: "targets/vm/test.toml", line: line, key: key, contains: message)
    }

    @Test func aMisspeltFormatGetsASuggestion() throws {
        let dir = try fixture(["targets/vm/test.toml": vm("images = [\"qcow\"]")])
        defer { dir.remove() }
        let error = expectLoadError(dir, file: "targets/vm/test.toml", line: 5, key: "images", contains: "'qcow' is not an image format")
        #expect(error?.hint == "did you mean 'qcow2'?")
    }

    @Test func imagesNeedAStage4() throws {
        let dir = try fixture(["targets/vm/test.toml": vm("images = [\"raw\"]", stage: 3)])
        defer { dir.remove() }
        expectLoadError(dir, file: "targets/vm/test.toml", line: 5, key: "images", contains: "disk images are made from a stage4")
    }

    @Test func testNodesAreKnownByForm() throws {
        let dir = try fixture(["targets/vm/test.toml": vm("images = [\"qcow2\"]")])
        defer { dir.remove() }
        let config = try BuildConfiguration.load(BuildDirectory(root: dir.path))
        #expect(config.isKnownNodeName("test/vm/test"))
        #expect(config.isKnownNodeName("image/vm/test.qcow2"))
    }
}

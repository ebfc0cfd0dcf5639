import CBuildBasics
import Foundation

/// Checks a written image before it counts: `qemu-img info` must read it
/// as the intended format with the raw image's virtual size, `qemu-img
/// check` must pass where qemu can check the format (qcow2, vmdk), and a
/// VHD must end in a valid fixed-disk footer with a MiB-aligned size.
enum ImageVerifier {
    /// The part of `qemu-img info --output=json` that is checked.
    struct Info: Decodable {
        var format: String
        var virtualSize: Int64
        /// qemu-img's JSON names.
        enum CodingKeys: String, CodingKey { case format, virtualSize = "virtual-size" }
    }

    static func verify(_ path: String, format: ImageFormat, virtualSize: Int64, tools: ToolRunner) throws {
        let info = try tools.capture(["qemu-img", "info", "--output=json", "-f", format.qemuName, path])
        guard info.status == 0 else {
            throw ImageError.verificationFailed(path: path, problem: "qemu-img info failed: \(info.stderr)")
        }
        guard let parsed = try? JSONDecoder().decode(Info.self, from: Data(info.stdout.utf8)) else {
            throw ImageError.verificationFailed(path: path, problem: "qemu-img info gave no readable JSON")
        }
        guard parsed.format == format.qemuName else {
            throw ImageError.verificationFailed(path: path, problem: "qemu-img reads it as \(parsed.format), not \(format.qemuName)")
        }
        guard parsed.virtualSize == virtualSize else {
            throw ImageError.verificationFailed(path: path, problem: "virtual size \(parsed.virtualSize) instead of \(virtualSize)")
        }
        switch format {
        case .qcow2, .vmdk:
            let check = try tools.capture(["qemu-img", "check", "-f", format.qemuName, path])
            guard check.status == 0 else {
                throw ImageError.verificationFailed(path: path, problem: "qemu-img check: \(check.stdout) \(check.stderr)")
            }
        case .vhd:
            try verifyVHD(path, virtualSize: virtualSize)
        case .raw:
            break
        }
    }

    static func verifyVHD(_ path: String, virtualSize: Int64) throws {
        guard let footer = try readVHDFooter(path) else {
            throw ImageError.verificationFailed(path: path, problem: "no VHD footer ('conectix') at the end")
        }
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? -1
        var problems: [String] = []
        if footer.diskType != VHDFooter.fixedDiskType { problems.append("disk type \(footer.diskType), not fixed (2)") }
        if footer.currentSize != virtualSize { problems.append("current size \(footer.currentSize), not \(virtualSize)") }
        if footer.currentSize % DiskLayout.mebibyte != 0 { problems.append("size is not a whole number of MiB") }
        if fileSize != footer.currentSize + Int64(VHDFooter.size) { problems.append("file size \(fileSize) is not size + 512") }
        if !footer.checksumIsValid { problems.append("bad footer checksum") }
        if !problems.isEmpty { throw ImageError.verificationFailed(path: path, problem: problems.joined(separator: "; ")) }
    }

    static func readVHDFooter(_ path: String) throws -> VHDFooter? {
        guard let h = FileHandle(forReadingAtPath: path) else { throw BasicsError.io(path: path, operation: "open", errno: errno) }
        defer { try? h.close() }
        let end = try h.seekToEnd()
        guard end >= UInt64(VHDFooter.size) else { return nil }
        try h.seek(toOffset: end - UInt64(VHDFooter.size))
        return VHDFooter([UInt8](try h.read(upToCount: VHDFooter.size) ?? Data()))
    }

    static func writeVHDFooter(_ path: String, _ footer: VHDFooter) throws {
        guard let h = FileHandle(forUpdatingAtPath: path) else { throw BasicsError.io(path: path, operation: "open", errno: errno) }
        defer { try? h.close() }
        let end = try h.seekToEnd()
        try h.seek(toOffset: end - UInt64(VHDFooter.size))
        try h.write(contentsOf: Data(footer.bytes))
    }

    /// Replaces the random `CID=xxxxxxxx` of a VMDK's embedded descriptor.
    static func pinVMDKContentID(_ path: String, cid: String) throws {
        precondition(cid.count == 8)
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw BasicsError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        // The descriptor's place is in the sparse extent header ("KDMV",
        // then descriptorOffset and descriptorSize in sectors at bytes 28
        // and 36); without that header, the first 64 KiB are searched.
        // Read whole (pread until full), so a short read cannot look like a
        // descriptor without room for the value.
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw BasicsError.io(path: path, operation: "fstat", errno: errno) }
        var region = (offset: Int64(0), size: min(1 << 16, Int(st.st_size)))
        if region.size >= 44 {
            let header = try Ext4InodeStamper.pread(fd, count: 44, at: 0, path: path)
            if header[0..<4].elementsEqual(Array("KDMV".utf8)) {
                let u64 = { (at: Int) in UInt64(Ext4InodeStamper.u32(header, at)) | UInt64(Ext4InodeStamper.u32(header, at + 4)) << 32 }
                let offset = u64(28), size = u64(36)
                let sectors = UInt64(st.st_size) / 512
                guard offset > 0, size > 0, size <= 1 << 12, offset <= sectors, size <= sectors - offset else {
                    throw ImageError.verificationFailed(path: path, problem: "the VMDK header places its descriptor at sector \(offset), \(size) sectors")
                }
                region = (Int64(offset * 512), Int(size * 512))
            }
        }
        let head = try Ext4InodeStamper.pread(fd, count: region.size, at: region.offset, path: path)
        let needle = Array("\nCID=".utf8)
        guard head.count > needle.count + 8,
              let at = (0...(head.count - needle.count - 8)).first(where: { head[$0..<$0 + needle.count].elementsEqual(needle) }) else {
            throw ImageError.verificationFailed(path: path, problem: "no CID in the VMDK descriptor")
        }
        // qemu-img writes the CID without leading zeros (`CID=%x`), so the
        // old value may be shorter than eight digits: replace the whole
        // value up to its line's end and move the rest of the descriptor,
        // which is followed by NUL padding in its sectors.
        let start = at + needle.count
        guard let lineEnd = head[start...].firstIndex(of: UInt8(ascii: "\n")),
              let textEnd = head[start...].firstIndex(of: 0) else {
            throw ImageError.verificationFailed(path: path, problem: "the VMDK descriptor's CID line is not followed by padding")
        }
        let grow = 8 - (lineEnd - start)
        guard grow <= 0 || (textEnd + grow <= head.count && head[textEnd..<(textEnd + grow)].allSatisfy { $0 == 0 }) else {
            throw ImageError.verificationFailed(path: path, problem: "no room in the VMDK descriptor for an 8-digit CID"
                + " (CID=\(String(decoding: head[start..<lineEnd], as: UTF8.self)), text ends at \(textEnd) of \(head.count) bytes read)")
        }
        var text = Array(cid.utf8) + head[lineEnd..<textEnd]
        if grow < 0 { text += [UInt8](repeating: 0, count: -grow) }   // a longer old value: pad where it ended
        let written = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(region.offset) + off_t(start)) }
        guard written == text.count else { throw BasicsError.io(path: path, operation: "write", errno: written < 0 ? errno : EIO) }
    }
}

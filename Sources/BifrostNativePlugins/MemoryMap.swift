#if canImport(Glibc)
    import Glibc
#endif

/// The process's memory mappings (`/proc/self/maps`), read when a plugin loads to check the
/// pointers its table holds: a hook must point into executable code, a name into readable
/// memory, before the host calls or reads either.
struct MemoryMap {
    /// One mapping: its address range, whether it may be read and executed, and the file mapped
    /// (empty for anonymous memory).
    struct Region {
        var range: Range<UInt>
        var readable: Bool
        var executable: Bool
        var file: Substring
    }

    let regions: [Region]

    /// The mappings now; `nil` where `/proc/self/maps` cannot be read (then nothing is checked).
    static func current() -> MemoryMap? {
        guard let file = fopen("/proc/self/maps", "r") else { return nil }
        defer { fclose(file) }
        var regions: [Region] = []
        var line = [CChar](repeating: 0, count: 4096)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let fields = text.split(separator: " ", maxSplits: 2)
            guard fields.count >= 2 else { continue }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16),
                start < end
            else { continue }
            let permissions = fields[1]
            // The rest is offset, device, inode and the file's path (which may hold spaces).
            let rest = fields.count > 2 ? fields[2].drop { $0 == " " } : ""
            let file = rest.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true).dropFirst(3).first ?? ""
            regions.append(
                Region(
                    range: start..<end, readable: permissions.hasPrefix("r"), executable: permissions.contains("x"),
                    file: file.drop { $0 == " " }.prefix { $0 != "\n" }))
        }
        return MemoryMap(regions: regions)
    }

    /// The mapping holding `address`.
    func region(of address: UInt) -> Region? {
        regions.first { $0.range.contains(address) }
    }

    /// Whether `count` bytes from `address` may be read.
    func isReadable(_ address: UInt, count: Int = 1) -> Bool {
        guard let region = region(of: address), region.readable else { return false }
        return address + UInt(count) <= region.range.upperBound
    }

    /// Whether `address` is executable code.
    func isCode(_ address: UInt) -> Bool {
        region(of: address)?.executable ?? false
    }

    /// The file whose mapping holds `address`, or `nil` for anonymous or unmapped memory.
    func file(of address: UInt) -> Substring? {
        guard let file = region(of: address)?.file, !file.isEmpty else { return nil }
        return file
    }

    /// Whether a NUL-terminated string at `address` lies in readable memory (within 4 KiB).
    func isReadableString(_ address: UInt) -> Bool {
        guard let region = region(of: address), region.readable else { return false }
        let limit = min(region.range.upperBound, address + 4096)
        guard let pointer = UnsafePointer<CChar>(bitPattern: address) else { return false }
        return (0..<Int(limit - address)).contains { pointer[$0] == 0 }
    }
}

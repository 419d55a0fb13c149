// Internal plumbing shared by the views: strings across the boundary, status checks,
// resolving host functions.

/// A non-NULL pointer for empty strings, so the host never sees NULL with length 0.
@inline(__always)
func emptyCString() -> UnsafePointer<CChar> {
    UnsafeRawPointer(("" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
}

extension String {
    /// Copies a borrowed host string.
    @inline(__always)
    init(borrowing value: bifrost_str) {
        guard let pointer = value.ptr, value.len > 0 else {
            self = ""
            return
        }
        self = String(decoding: UnsafeRawBufferPointer(start: pointer, count: value.len), as: UTF8.self)
    }
}

/// Lends `string` to the host as a `bifrost_str` for the duration of `body`.
@inline(__always)
func withHostString<R>(_ string: String, _ body: (bifrost_str) throws -> R) rethrows -> R {
    var string = string
    return try string.withUTF8 { buffer in
        let pointer = buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
        return try body(bifrost_str(ptr: pointer ?? emptyCString(), len: buffer.count))
    }
}

/// Lends two strings to the host.
@inline(__always)
func withHostStrings<R>(_ first: String, _ second: String, _ body: (bifrost_str, bifrost_str) throws -> R) rethrows -> R {
    try withHostString(first) { first in try withHostString(second) { second in try body(first, second) } }
}

/// A host function, or a ``HostCallError`` naming it when the host does not provide it.
@inline(__always)
func hostFunction<Function>(_ function: Function?, _ name: StaticString) throws -> Function {
    guard let function else { throw HostCallError(function: "\(name)", status: HostCallError.notProvided) }
    return function
}

/// Throws unless `status` is `BIFROST_OK`.
@inline(__always)
func check(_ status: bifrost_status, _ name: StaticString) throws {
    if status != BIFROST_OK { throw HostCallError(function: "\(name)", status: status) }
}

/// `false` for `BIFROST_ERR_NOT_FOUND`, `true` for `BIFROST_OK`; throws otherwise.
@inline(__always)
func checkFound(_ status: bifrost_status, _ name: StaticString) throws -> Bool {
    if status == BIFROST_ERR_NOT_FOUND { return false }
    try check(status, name)
    return true
}

/// Reads a string through a host getter; `nil` for NOT_FOUND.
@inline(__always)
func readHostString(_ name: StaticString, _ call: (UnsafeMutablePointer<bifrost_str>) -> bifrost_status) throws -> String? {
    var value = bifrost_str(ptr: nil, len: 0)
    guard try checkFound(call(&value), name) else { return nil }
    return String(borrowing: value)
}

/// Converts an index to `size_t`, refusing negative ones before they reach the host.
@inline(__always)
func hostIndex(_ index: Int, _ name: StaticString) throws -> Int {
    guard index >= 0 else {
        throw HostCallError(function: "\(name)", status: BIFROST_ERR_OUT_OF_RANGE, detail: "index \(index) is negative")
    }
    return index
}

/// A host function added after 1.0, or a ``HostCallError`` naming it when the host's table
/// is too old to hold it (its `struct_size` does not reach the field).
@inline(__always)
func newerHostFunction<Function>(
    _ api: UnsafePointer<bifrost_host_api>, _ field: KeyPath<bifrost_host_api, Function?>, _ name: StaticString
) throws -> Function {
    guard let offset = MemoryLayout<bifrost_host_api>.offset(of: field),
        Int(api.pointee.struct_size) >= offset + MemoryLayout<Function?>.size
    else { throw HostCallError(function: "\(name)", status: HostCallError.notProvided) }
    return try hostFunction(api.pointee[keyPath: field], name)
}

/// A host function added in ABI 1.`minor`, or a ``HostCallError`` ("not provided") naming it
/// when the host is older: its `abi_minor` is below `minor`, or its `struct_size` does not
/// reach the field.
@inline(__always)
func newerHostFunction<Function>(
    _ api: UnsafePointer<bifrost_host_api>, _ field: KeyPath<bifrost_host_api, Function?>, _ name: StaticString,
    since minor: UInt16
) throws -> Function {
    guard api.pointee.abi_minor >= minor else {
        throw HostCallError(
            function: "\(name)", status: HostCallError.notProvided,
            detail:
                "added in ABI \(BIFROST_ABI_VERSION_MAJOR).\(minor), the host speaks \(api.pointee.abi_major).\(api.pointee.abi_minor)"
        )
    }
    return try newerHostFunction(api, field, name)
}

/// Lends several strings to the host as one contiguous `bifrost_str` array.
func withHostStringArray<R>(_ strings: [String], _ body: (UnsafePointer<bifrost_str>?, Int) throws -> R) rethrows -> R {
    if strings.isEmpty { return try body(nil, 0) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(strings.reduce(0) { $0 + $1.utf8.count })
    var ends: [Int] = []
    ends.reserveCapacity(strings.count)
    for string in strings {
        bytes.append(contentsOf: string.utf8)
        ends.append(bytes.count)
    }
    return try bytes.withUnsafeBufferPointer { buffer in
        let base = buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) } ?? emptyCString()
        var views: [bifrost_str] = []
        views.reserveCapacity(strings.count)
        var start = 0
        for end in ends {
            views.append(bifrost_str(ptr: end > start ? base + start : emptyCString(), len: end - start))
            start = end
        }
        return try views.withUnsafeBufferPointer { try body($0.baseAddress, $0.count) }
    }
}

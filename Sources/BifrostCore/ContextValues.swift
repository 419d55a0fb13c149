/// The values of one request's ``RequestContext``.
///
/// A request holds a handful (each plugin a key or two, the host a few), and comparing keys
/// in a short list costs less than hashing each one. Past ``listLimit`` the values move to a
/// table, so a plugin that sets thousands of keys costs linear time, not quadratic.
struct ContextValues {
    /// The most values kept in the list.
    static let listLimit = 16

    private var list: [(key: String, value: ContextValue)] = []
    private var table: [String: ContextValue]?

    /// A value by key; setting `nil` removes it.
    subscript(key: String) -> ContextValue? {
        get {
            if let table { return table[key] }
            for entry in list where entry.key == key { return entry.value }
            return nil
        }
        set {
            if table != nil {
                table![key] = newValue
            } else if let index = list.firstIndex(where: { $0.key == key }) {
                if let newValue { list[index].value = newValue } else { list.remove(at: index) }
            } else if let newValue {
                if list.count == Self.listLimit {
                    var moved = Dictionary(uniqueKeysWithValues: list)
                    moved[key] = newValue
                    table = moved
                    list = []
                } else {
                    if list.isEmpty { list.reserveCapacity(8) }
                    list.append((key, newValue))
                }
            }
        }
    }

    /// The value of the key whose UTF-8 is `key`, which must be valid UTF-8; while the values
    /// are in the list, found without making a String of the key.
    subscript(utf8 key: UnsafeBufferPointer<UInt8>) -> ContextValue? {
        if let table { return table[String(decoding: key, as: UTF8.self)] }
        for entry in list where Self.equals(entry.key, key) { return entry.value }
        return nil
    }

    private static func equals(_ string: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let utf8 = string.utf8
        guard utf8.count == bytes.count else { return false }
        guard let base = bytes.baseAddress else { return true }
        return utf8.withContiguousStorageIfAvailable { memcmp($0.baseAddress!, base, bytes.count) == 0 }
            ?? utf8.elementsEqual(bytes)
    }

    /// Every value.
    var all: [String: ContextValue] { table ?? Dictionary(uniqueKeysWithValues: list) }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

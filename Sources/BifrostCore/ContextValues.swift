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

    /// Every value.
    var all: [String: ContextValue] { table ?? Dictionary(uniqueKeysWithValues: list) }
}

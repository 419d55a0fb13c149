/// An ordered list of HTTP header fields with case-insensitive names.
///
/// Names are stored lowercased, as HTTP/2 and most gateways do.
///
/// ```swift
/// var headers = HeaderFields()
/// headers["X-Request-Id"] = "abc"
/// headers["x-request-id"]  // "abc"
/// ```
public struct HeaderFields: Sendable, Hashable, Sequence {
    /// One header field.
    public struct Field: Sendable, Hashable {
        /// The lowercased name.
        public var name: String
        /// The value, as sent.
        public var value: String
    }

    private var fields: [Field]

    /// Creates an empty list.
    public init() { fields = [] }

    /// Creates a list from name/value pairs, in order.
    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { Field(name: Self.lowercased($0.0), value: $0.1) }
    }

    /// The number of fields.
    public var count: Int { fields.count }

    /// Whether there are no fields.
    public var isEmpty: Bool { fields.isEmpty }

    /// The first value of a field, or `nil`; setting replaces every field of that name,
    /// and setting `nil` removes them.
    public subscript(name: String) -> String? {
        get {
            let key = Self.lowercased(name)
            return fields.first(where: { $0.name == key })?.value
        }
        set {
            let key = Self.lowercased(name)
            if let newValue {
                if let index = fields.firstIndex(where: { $0.name == key }) {
                    fields[index].value = newValue
                    removeDuplicates(of: key, keeping: index)
                } else {
                    append(Field(name: key, value: newValue))
                }
            } else {
                fields.removeAll(where: { $0.name == key })
            }
        }
    }

    /// Appends a field without removing others of the same name.
    public mutating func add(name: String, value: String) {
        append(Field(name: Self.lowercased(name), value: value))
    }

    /// Room for a few fields at the first, rather than growing one by one: a head has several.
    private mutating func append(_ field: Field) {
        if fields.isEmpty { fields.reserveCapacity(8) }
        fields.append(field)
    }

    /// Appends every field of `other`, replacing fields of the same names.
    public mutating func merge(_ other: HeaderFields) {
        for field in other.fields { self[field.name] = field.value }
    }

    /// Appends each field of `other` whose name none of these fields has yet.
    public mutating func addMissing(_ other: HeaderFields) {
        for field in other.fields where !fields.contains(where: { $0.name == field.name }) { append(field) }
    }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// `name` lowercased; most names already are, and those are kept as they are, uncopied.
    private static func lowercased(_ name: String) -> String {
        needsLowercasing(name) ? name.lowercased() : name
    }

    private mutating func removeDuplicates(of key: String, keeping index: Int) {
        var position = fields.count - 1
        while position > index {
            if fields[position].name == key { fields.remove(at: position) }
            position -= 1
        }
    }
}

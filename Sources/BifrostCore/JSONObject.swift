/// A JSON object that keeps its members in the order they were written, so an object the
/// gateway passes through goes out as it came.
///
/// Lookups are linear: wire objects have a handful of members. Setting a member that exists
/// replaces it in place; a new member goes at the end; setting `nil` removes it. Equality is
/// JSON's: the same members, in any order (writers keep the order).
///
/// ```swift
/// var object: JSONObject = ["model": "gpt-4o", "temperature": 0.2]
/// object["model"] = "gpt-4o-mini"  // still first
/// object["stream"] = true          // appended
/// ```
public struct JSONObject: Sendable, Hashable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    /// One member: a key and its value.
    public struct Member: Sendable, Hashable {
        /// The member's name.
        public var key: String
        /// The member's value.
        public var value: JSONValue

        /// Creates a member.
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The members, in order.
    public private(set) var members: [Member]

    /// An empty object.
    public init() { members = [] }

    /// An object with these members, in this order (a repeated key keeps its first place and last value).
    public init(members: some Sequence<Member>) {
        self.members = []
        for member in members { self[member.key] = member.value }
    }

    /// An object made from a dictionary, its keys sorted (dictionaries have no order of their own).
    public init(_ dictionary: [String: JSONValue]) {
        members = dictionary.keys.sorted().map { Member(key: $0, value: dictionary[$0]!) }
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(members: elements.map { Member(key: $0.0, value: $0.1) })
    }

    /// Members appended without checking for a repeated key (the parser has checked).
    package init(uncheckedMembers: [Member]) { members = uncheckedMembers }

    public var startIndex: Int { members.startIndex }
    public var endIndex: Int { members.endIndex }
    public subscript(position: Int) -> Member { members[position] }

    /// The member names, in order.
    public var keys: [String] { members.map(\.key) }

    /// The position of the member named `key`.
    public func index(forKey key: String) -> Int? { members.firstIndex { $0.key == key } }

    /// The value of the member named `key`; setting `nil` removes it.
    public subscript(key: String) -> JSONValue? {
        get {
            for member in members where member.key == key { return member.value }
            return nil
        }
        set {
            if let position = index(forKey: key) {
                if let newValue { members[position].value = newValue } else { members.remove(at: position) }
            } else if let newValue {
                members.append(Member(key: key, value: newValue))
            }
        }
    }

    /// Removes and returns the member named `key`.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let position = index(forKey: key) else { return nil }
        return members.remove(at: position).value
    }

    /// Sets every member of `other` here: one that exists is replaced in place, a new one appended.
    public mutating func merge(_ other: JSONObject) {
        for member in other.members { self[member.key] = member.value }
    }

    /// Reserves room for `count` members.
    public mutating func reserveCapacity(_ count: Int) { members.reserveCapacity(count) }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        if lhs.members == rhs.members { return true }
        return lhs.members.allSatisfy { member in rhs[member.key] == member.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(members.count)
        // Order-independent, as equality is.
        var combined = 0
        for member in members { combined ^= member.hashValue }
        hasher.combine(combined)
    }

    /// The members as a dictionary (their order is lost).
    public var dictionary: [String: JSONValue] {
        Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }
}

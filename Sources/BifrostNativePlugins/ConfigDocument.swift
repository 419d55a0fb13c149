import BifrostCore
import CBifrostPlugin

/// A plugin's configuration as the host parsed it, flattened for `config_*` lookups (ABI 1.6).
///
/// Every value is a node in one array, a container's children contiguous, so a node is its
/// index and a lookup walks indices. Strings (values and member names) live in one buffer that
/// stays put until the document is freed, after `bifrost_plugin_create` returned: what the
/// lookups lend a plugin stays valid for the whole create call.
///
/// ```swift
/// let document = try ConfigDocument(parsing: Array(#"{"limits":{"rpm":60}}"#.utf8))
/// document.lookup(from: 0, path: [.name(Array("limits".utf8)), .name(Array("rpm".utf8))])  // .found(2)
/// ```
final class ConfigDocument: @unchecked Sendable {
    // Built in init and only read afterwards; the buffer is freed with the object.

    /// One value of the document.
    struct Node {
        var kind: bifrost_config_kind
        /// The container holding this node; -1 for the root.
        var parent: Int
        /// The member name (an object's child) as a range of `text`; nil for an array element or the root.
        var name: Range<Int>?
        /// The position in the parent (an array element's index).
        var position: Int
        /// A container's children, as indices into `nodes`.
        var children: Range<Int> = 0..<0
        /// A string's bytes, as a range of `text`.
        var string: Range<Int> = 0..<0
        var number: JSONNumber?
        var flag = false
    }

    private(set) var nodes: [Node] = []
    private let text: UnsafeMutableRawBufferPointer

    /// Parses `bytes` with the host's JSON parser (numbers kept as written).
    init(parsing bytes: [UInt8]) throws(JSONParseError) {
        let root = try JSONValue.parse(bytes)
        var strings: [UInt8] = []
        nodes.append(Node(kind: BIFROST_CONFIG_NULL, parent: -1, name: nil, position: 0))
        Self.fill(0, with: root, nodes: &nodes, strings: &strings)
        text = .allocate(byteCount: max(strings.count, 1), alignment: 1)
        strings.withUnsafeBytes { text.copyMemory(from: $0) }
    }

    deinit { text.deallocate() }

    private static func append(_ string: String, to strings: inout [UInt8]) -> Range<Int> {
        let start = strings.count
        strings.append(contentsOf: string.utf8)
        return start..<strings.count
    }

    private static func fill(_ index: Int, with value: JSONValue, nodes: inout [Node], strings: inout [UInt8]) {
        switch value {
        case .null: nodes[index].kind = BIFROST_CONFIG_NULL
        case .bool(let flag):
            nodes[index].kind = BIFROST_CONFIG_BOOL
            nodes[index].flag = flag
        case .number(let number):
            nodes[index].kind = BIFROST_CONFIG_NUMBER
            nodes[index].number = number
        case .string(let string):
            nodes[index].kind = BIFROST_CONFIG_STRING
            nodes[index].string = append(string, to: &strings)
        case .array(let elements):
            nodes[index].kind = BIFROST_CONFIG_ARRAY
            let start = nodes.count
            for position in elements.indices {
                nodes.append(Node(kind: BIFROST_CONFIG_NULL, parent: index, name: nil, position: position))
            }
            nodes[index].children = start..<nodes.count
            for (position, element) in elements.enumerated() {
                fill(start + position, with: element, nodes: &nodes, strings: &strings)
            }
        case .object(let object):
            nodes[index].kind = BIFROST_CONFIG_OBJECT
            let start = nodes.count
            for (position, member) in object.members.enumerated() {
                let name = append(member.key, to: &strings)
                nodes.append(Node(kind: BIFROST_CONFIG_NULL, parent: index, name: name, position: position))
            }
            nodes[index].children = start..<nodes.count
            for (position, member) in object.members.enumerated() {
                fill(start + position, with: member.value, nodes: &nodes, strings: &strings)
            }
        }
    }

    /// A range of the string buffer, lent to a plugin.
    func borrow(_ range: Range<Int>) -> bifrost_str {
        bifrost_str(
            ptr: (text.baseAddress! + range.lowerBound).assumingMemoryBound(to: CChar.self), len: range.count)
    }

    private func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: text[range])
    }

    /// Where a lookup ended.
    enum Lookup: Equatable {
        case found(Int)
        case failed(bifrost_status)
    }

    /// Follows `path` from node `start`: NOT_FOUND at an absent member or position, WRONG_TYPE
    /// at a step into a value that is not an object (a name) or an array (a position).
    func lookup(from start: Int, path: [ConfigPath.Step]) -> Lookup {
        var current = start
        for step in path {
            let node = nodes[current]
            switch step {
            case .name(let name):
                guard node.kind == BIFROST_CONFIG_OBJECT else { return .failed(BIFROST_ERR_WRONG_TYPE) }
                let match = node.children.first { child in
                    nodes[child].name.map { bytes($0).elementsEqual(name) } ?? false
                }
                guard let match else { return .failed(BIFROST_ERR_NOT_FOUND) }
                current = match
            case .index(let position):
                guard node.kind == BIFROST_CONFIG_ARRAY else { return .failed(BIFROST_ERR_WRONG_TYPE) }
                guard position < node.children.count else { return .failed(BIFROST_ERR_NOT_FOUND) }
                current = node.children.lowerBound + position
            }
        }
        return .found(current)
    }

    /// The steps from the root to node `index`.
    func steps(to index: Int) -> [ConfigPath.Step] {
        var steps: [ConfigPath.Step] = []
        var current = index
        while nodes[current].parent >= 0 {
            let node = nodes[current]
            steps.append(node.name.map { .name(Array(bytes($0))) } ?? .index(node.position))
            current = node.parent
        }
        return steps.reversed()
    }
}

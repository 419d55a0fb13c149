/// A least-recently-used map bounded by entry count and by bytes.
///
/// Nodes live in arrays linked by index (no allocation per lookup), newest at the head.
struct LRUStore<Key: Hashable, Value> {
    private struct Node {
        var key: Key
        var value: Value
        var bytes: Int
        var newer: Int
        var older: Int
    }

    private var index: [Key: Int] = [:]
    private var nodes: [Node?] = []
    private var free: [Int] = []
    private var newest = -1
    private var oldest = -1
    private(set) var totalBytes = 0
    let maxEntries: Int
    let maxBytes: Int

    init(maxEntries: Int, maxBytes: Int) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }

    var count: Int { index.count }

    /// The value for `key`, marked as just used.
    mutating func value(for key: Key) -> Value? {
        guard let slot = index[key] else { return nil }
        moveToFront(slot)
        return nodes[slot]!.value
    }

    /// Stores `value` as the newest entry, evicting the oldest until both bounds hold.
    mutating func insert(_ value: Value, for key: Key, bytes: Int) {
        if let slot = index[key] { remove(slot: slot) }
        guard bytes <= maxBytes else { return }
        while !index.isEmpty, index.count >= maxEntries || totalBytes + bytes > maxBytes { remove(slot: oldest) }
        let node = Node(key: key, value: value, bytes: bytes, newer: -1, older: newest)
        let slot: Int
        if let reused = free.popLast() {
            slot = reused
            nodes[slot] = node
        } else {
            slot = nodes.count
            nodes.append(node)
        }
        if newest >= 0 { nodes[newest]!.newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
        index[key] = slot
        totalBytes += bytes
    }

    /// Removes every entry; returns how many there were.
    mutating func removeAll() -> Int {
        let removed = index.count
        self = LRUStore(maxEntries: maxEntries, maxBytes: maxBytes)
        return removed
    }

    /// Removes `key`'s entry if present.
    mutating func removeValue(for key: Key) {
        if let slot = index[key] { remove(slot: slot) }
    }

    private mutating func moveToFront(_ slot: Int) {
        guard slot != newest else { return }
        unlink(slot)
        nodes[slot]!.older = newest
        nodes[slot]!.newer = -1
        if newest >= 0 { nodes[newest]!.newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }

    private mutating func unlink(_ slot: Int) {
        let node = nodes[slot]!
        if node.newer >= 0 { nodes[node.newer]!.older = node.older } else { newest = node.older }
        if node.older >= 0 { nodes[node.older]!.newer = node.newer } else { oldest = node.newer }
    }

    private mutating func remove(slot: Int) {
        unlink(slot)
        let node = nodes[slot]!
        index[node.key] = nil
        totalBytes -= node.bytes
        nodes[slot] = nil
        free.append(slot)
    }
}

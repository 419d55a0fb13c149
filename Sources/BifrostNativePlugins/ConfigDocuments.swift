import BifrostCore

/// The configuration documents of the `bifrost_plugin_create` calls in progress, and the
/// `bifrost_config` handles that address their nodes.
///
/// A handle is a number, never an address: the document's serial in the high 32 bits and
/// the node's index + 1 in the low ones. A garbage handle finds no document (or no such node)
/// and nothing is dereferenced; a handle kept past create finds its serial retired, which is
/// `BIFROST_ERR_WRONG_STATE` rather than an invalid handle.
final class ConfigDocuments: Sendable {
    static let shared = ConfigDocuments()

    private struct Table {
        var next: UInt = 1
        var open: [UInt: (document: ConfigDocument, identity: PluginIdentity)] = [:]
    }

    private let table = LockedValue(Table())

    /// What a handle denotes.
    enum Resolution {
        case node(Resolved)
        /// A handle of a document whose create call has returned.
        case retired
        case invalid
    }

    /// A live node: its document, index, the plugin creating, and the document's serial.
    struct Resolved {
        var document: ConfigDocument
        var index: Int
        var identity: PluginIdentity
        var serial: UInt

        /// The handle of another node of the same document.
        func handle(_ index: Int) -> OpaquePointer { ConfigDocuments.handle(serial: serial, index: index) }
    }

    /// Registers a document for one create call; returns its serial.
    func open(_ document: ConfigDocument, for identity: PluginIdentity) -> UInt {
        table.withLock { table in
            let serial = table.next
            table.next += 1
            table.open[serial] = (document, identity)
            return serial
        }
    }

    /// Retires a document: its handles answer WRONG_STATE from now on.
    func close(_ serial: UInt) {
        table.withLock { _ = $0.open.removeValue(forKey: serial) }
    }

    /// The handle of node `index` of the document `serial`.
    static func handle(serial: UInt, index: Int) -> OpaquePointer {
        OpaquePointer(bitPattern: serial << 32 | UInt(index + 1))!
    }

    func resolve(_ handle: OpaquePointer?) -> Resolution {
        let bits = UInt(bitPattern: handle)
        let serial = bits >> 32
        let index = Int(bits & 0xFFFF_FFFF) - 1
        return table.withLock { table in
            guard let entry = table.open[serial] else {
                return serial > 0 && serial < table.next ? .retired : .invalid
            }
            guard index >= 0, index < entry.document.nodes.count else { return .invalid }
            return .node(Resolved(document: entry.document, index: index, identity: entry.identity, serial: serial))
        }
    }
}

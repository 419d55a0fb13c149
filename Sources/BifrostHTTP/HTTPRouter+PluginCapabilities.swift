import BifrostCore

extension HTTPRouter {
    /// `"capabilities":["credentials","message_content","tool_calls"]`: what the plugin may read
    /// of the sensitive data, by the names of `PluginCapabilities`. A plugin that declares none
    /// because it predates ABI 1.6, or is not native, has full access, so all are listed.
    static func writeCapabilities(of descriptor: PluginDescriptor, to writer: inout JSONWriter) {
        writer.key("capabilities")
        writer.beginArray()
        for name in (descriptor.capabilities ?? .all).names { writer.string(name) }
        writer.endArray()
    }
}

extension HTTPRouter {
    /// `"state_store":{"policy":"fail_open","backend":"redis","backend_up":true,"operations":n,"fallbacks":n,"failures":n}`:
    /// where the plugin's state lives and what its host operations came to; `null` when the
    /// gateway offers no host services.
    static func writeState(of entry: ChainEntry, services: (any HostServices)?, to writer: inout JSONWriter) {
        writer.key("state_store")
        guard let services else {
            writer.null()
            return
        }
        let status = services.status(plugin: entry.plugin.descriptor.name)
        writer.beginObject()
        writer.key("policy")
        writer.string(entry.statePolicy.rawValue)
        writer.key("backend")
        writer.string(status.backend)
        writer.key("backend_up")
        writer.bool(status.isBackendUp)
        writer.key("operations")
        writer.number(status.operations)
        writer.key("fallbacks")
        writer.number(status.fallbacks)
        writer.key("failures")
        writer.number(status.failures)
        writer.endObject()
    }
}

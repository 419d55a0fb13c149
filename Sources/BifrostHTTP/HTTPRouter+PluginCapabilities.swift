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

import BifrostCore

extension PluginDescriptor {
    /// The capabilities as `plugins check` and `plugins list` print them: the declared names
    /// joined by `separator`, `none`, or `all` for a plugin built before ABI 1.6 (it keeps full
    /// access, PluginSDK/DESIGN.md §6).
    func capabilitiesText(separator: String) -> String {
        guard let capabilities else { return "all" }
        return capabilities.isEmpty ? "none" : capabilities.names.joined(separator: separator)
    }
}

public import BifrostCore

extension NativePlugin: CommandPlugin {
    /// The commands the plugin's table declares (ABI 1.5), in its order; empty for older plugins.
    public var commands: [PluginCommandDeclaration] { nativeCommands.map(\.declaration) }

    /// Calls a command through its libffi call interface on the calling thread, which must
    /// not be an event loop: the plugin's function runs for as long as it takes.
    ///
    /// ```swift
    /// let removed = try plugin.callCommand("flush", arguments: [])  // .int64(12)
    /// ```
    public func callCommand(_ name: String, arguments: [PluginCommandValue]) throws(PluginCommandError)
        -> PluginCommandValue
    {
        guard let command = nativeCommands.first(where: { $0.declaration.name == name }) else {
            throw PluginCommandError(
                code: .unknownCommand, plugin: descriptor.name, command: name,
                message: "plugin '\(descriptor.name)' has no command '\(name)'")
        }
        guard arguments.count == command.declaration.arguments.count,
            zip(arguments, command.declaration.arguments).allSatisfy({ $0.matches($1.type) })
        else {
            throw PluginCommandError(
                code: .invalidArguments, plugin: descriptor.name, command: name,
                message: "command '\(name)' takes \(command.declaration.signature)")
        }
        guard !destroyed.load(ordering: .acquiring) else {
            throw PluginCommandError(
                code: .failed, plugin: descriptor.name, command: name,
                message: "plugin '\(descriptor.name)' was shut down; command '\(name)' did not run")
        }
        return command.call(arguments)
    }
}

extension PluginCommandValue {
    /// Whether the value is of `type`.
    func matches(_ type: PluginValueType) -> Bool {
        switch (self, type) {
        case (.int64, .int64), (.double, .double), (.bool, .bool), (.string, .string): true
        default: false
        }
    }
}

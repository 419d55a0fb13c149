public import BifrostCore

extension Bifrost {
    /// Calls a command of a plugin of the current chain (ABI 1.5): the arguments, a JSON
    /// object of named arguments, are checked against the command's declaration, then the
    /// plugin's function runs on the calling thread (in its worker for an isolated plugin).
    /// Blocks for as long as the function runs: call it off event loops. The call is logged
    /// with `actor` and the command's name, never its arguments.
    ///
    /// The plugin's instance stays alive until the call returns, whatever reload happens meanwhile.
    ///
    /// ```swift
    /// let removed = try bifrost.callCommand("flush", of: "cache", arguments: [:], by: actor)  // .int64(12)
    /// ```
    public func callCommand(_ command: String, of plugin: String, arguments: JSONValue, by actor: PluginControlActor)
        throws(PluginCommandError) -> PluginCommandValue
    {
        guard runningError == nil else {
            throw PluginCommandError(
                code: .failed, plugin: plugin, command: command,
                message: "Bifrost is shutting down; command '\(command)' of plugin '\(plugin)' did not run")
        }
        guard let lease = currentGeneration.leases.first(where: { $0.descriptor.name == plugin }) else {
            throw PluginCommandError(
                code: .unknownPlugin, plugin: plugin, message: "no plugin named '\(plugin)' in the chain")
        }
        // Held until the call returns: the lease's end is what destroys the instance.
        defer { withExtendedLifetime(lease) {} }
        guard let commands = lease.base as? any CommandPlugin,
            let declaration = commands.commands.first(where: { $0.name == command })
        else {
            throw PluginCommandError(
                code: .unknownCommand, plugin: plugin, command: command,
                message: "plugin '\(plugin)' has no command '\(command)'")
        }
        let values = try declaration.bind(arguments, plugin: plugin)
        logger.notice("admin: command \(command) of plugin \(plugin) called (by \(actor))")
        return try commands.callCommand(command, arguments: values)
    }
}

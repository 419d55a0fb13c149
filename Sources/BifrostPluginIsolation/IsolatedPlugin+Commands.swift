public import BifrostCore

extension IsolatedPlugin: CommandPlugin {
    /// How long one command may run in the worker, waiting for a free worker included: an
    /// operator's call, so longer than a hook's deadline. An overrun replaces the worker.
    public static let commandDeadline = Duration.seconds(30)

    /// Calls a command in the plugin's worker, through the same call path as hooks: a crash
    /// or an overrun there fails this call (``BifrostCore/PluginCommandError/Code/failed``)
    /// and restarts the worker, and the gateway goes on.
    ///
    /// ```swift
    /// let left = try plugin.callCommand("remaining", arguments: [.string("alice")])  // .int64(9)
    /// ```
    public func callCommand(_ name: String, arguments: [PluginCommandValue]) throws(PluginCommandError)
        -> PluginCommandValue
    {
        guard commands.contains(where: { $0.name == name }) else {
            throw PluginCommandError(
                code: .unknownCommand, plugin: descriptor.name, command: name,
                message: "plugin '\(descriptor.name)' has no command '\(name)'")
        }
        var writer = WorkerWriter(.command, capacity: 256)
        writer.write(name)
        writer.write(arguments) { $0.write($1) }
        let reply: [UInt8]
        do throws(PluginFault) {
            reply = try supervisor.call(writer.finished(), hook: .postHook, deadline: Self.commandDeadline)
        } catch {
            throw PluginCommandError(
                code: .failed, plugin: descriptor.name, command: name,
                message: "command '\(name)' of plugin '\(descriptor.name)' did not return: \(error.message)")
        }
        let answer: Result<PluginCommandValue, PluginCommandError>
        do throws(WorkerProtocolError) {
            guard reply.first == WorkerMessageKind.commandDone.rawValue else { throw .unknownTag }
            var reader = WorkerReader(reply, from: 1)
            if try reader.readBool() {
                answer = .success(try reader.readCommandValue())
            } else {
                let code = PluginCommandError.Code(rawValue: try reader.readString()) ?? .failed
                answer = .failure(
                    PluginCommandError(code: code, plugin: descriptor.name, command: name, message: try reader.readString()))
            }
        } catch {
            throw PluginCommandError(
                code: .failed, plugin: descriptor.name, command: name,
                message: "the worker of plugin '\(descriptor.name)' answered command '\(name)' out of protocol")
        }
        return try answer.get()
    }
}

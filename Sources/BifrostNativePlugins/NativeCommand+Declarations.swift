import BifrostCore
import CBifrostPlugin

extension NativeCommand {
    /// Where a plugin's table and library are, for checking its commands.
    struct Origin {
        var source: String
        var plugin: String
        var memory: MemoryMap?
        /// The plugin library's file: every command function must be its code.
        var library: Substring?
    }

    /// The commands of a table (ABI 1.5), each checked and given its call interface; none
    /// when the table predates them. Throws a ``PluginLoadError`` of kind
    /// ``PluginLoadError/Kind/invalidCommand`` naming the plugin and the command at fault.
    static func read(
        from table: UnsafePointer<bifrost_plugin>, structSize: Int, minor: UInt16, origin: Origin
    ) throws(PluginLoadError) -> [NativeCommand] {
        let covers = NativePlugin.tableCovers(
            size: structSize, offset: MemoryLayout<bifrost_plugin>.offset(of: \bifrost_plugin.command_count),
            width: MemoryLayout<Int>.size)
        guard minor >= 5, covers else { return [] }
        let plugin = table.pointee
        func refuse(_ command: String?, _ reason: String) -> PluginLoadError {
            let what = command.map { "plugin '\(origin.plugin)' command '\($0)'" } ?? "plugin '\(origin.plugin)' commands"
            return PluginLoadError(file: origin.source, kind: .invalidCommand, reason: "\(what): \(reason)")
        }
        let count = plugin.command_count
        guard count > 0 else { return [] }
        guard let array = plugin.commands else {
            throw refuse(nil, "command_count is \(count) but commands is NULL")
        }
        let raw = UnsafeRawPointer(array)
        if let memory = origin.memory, !memory.isReadable(UInt(bitPattern: raw), count: 4) {
            throw refuse(nil, "commands (\(raw)) is not readable memory")
        }
        let stride = Int(raw.load(as: UInt32.self))
        guard stride >= MemoryLayout<bifrost_command>.size else {
            throw refuse(
                nil, "commands[0].struct_size is \(stride); ABI 1.5 needs at least \(MemoryLayout<bifrost_command>.size)")
        }
        let (total, overflow) = stride.multipliedReportingOverflow(by: count)
        if overflow || (origin.memory.map { !$0.isReadable(UInt(bitPattern: raw), count: total) } ?? false) {
            throw refuse(nil, "command_count (\(count)) of \(stride)-byte entries runs past readable memory")
        }
        var commands: [NativeCommand] = []
        var names: Set<String> = []
        for index in 0..<count {
            let entry = raw + index * stride
            let size = Int(entry.load(as: UInt32.self))
            guard size == stride else {
                throw refuse(
                    nil, "commands[\(index)].struct_size is \(size), but commands[0]'s is \(stride); use one struct_size")
            }
            let declared = entry.load(as: bifrost_command.self)
            let name = try string(declared.name, origin: origin) ?? ""
            let label = name.isEmpty ? "#\(index)" : name
            if let problem = problem(withCommandName: declared.name == nil ? nil : name) {
                throw refuse(label, problem)
            }
            guard names.insert(name).inserted else { throw refuse(label, "another command has the same name") }
            guard let result = valueType(declared.result_type) else {
                throw refuse(label, "unknown result_type \(declared.result_type) (use a BIFROST_TYPE_*)")
            }
            guard let description = try? string(declared.description, origin: origin) as String?? else {
                throw refuse(label, "description is not a readable NUL-terminated string")
            }
            let arguments = try readArguments(of: declared, origin: origin) { refuse(label, $0) }
            guard let function = declared.function else { throw refuse(label, "function is NULL") }
            if let problem = problem(withFunction: unsafeBitCast(function, to: UInt.self), field: "function", origin: origin) {
                throw refuse(label, problem)
            }
            if let release = declared.release_result {
                guard result == .string else {
                    throw refuse(label, "release_result is set, but only a string result is released; set it to NULL")
                }
                if let problem = problem(
                    withFunction: unsafeBitCast(release, to: UInt.self), field: "release_result", origin: origin)
                {
                    throw refuse(label, problem)
                }
            }
            let declaration = PluginCommandDeclaration(
                name: name, description: description, arguments: arguments, result: result)
            guard
                let command = NativeCommand(
                    declaration: declaration, function: function, release: declared.release_result,
                    instance: plugin.instance)
            else { throw refuse(label, "libffi refused the signature \(declaration.signature)") }
            commands.append(command)
        }
        return commands
    }

    private static func readArguments(
        of command: bifrost_command, origin: Origin, refuse: (String) -> PluginLoadError
    ) throws(PluginLoadError) -> [PluginCommandArgument] {
        let count = command.arg_count
        guard count <= Int(BIFROST_COMMAND_MAX_ARGS) else {
            throw refuse("arg_count is \(count); at most \(BIFROST_COMMAND_MAX_ARGS) (BIFROST_COMMAND_MAX_ARGS)")
        }
        guard count > 0 else { return [] }
        guard let array = command.args else { throw refuse("arg_count is \(count) but args is NULL") }
        let raw = UnsafeRawPointer(array)
        if let memory = origin.memory, !memory.isReadable(UInt(bitPattern: raw), count: 4) {
            throw refuse("args (\(raw)) is not readable memory")
        }
        let stride = Int(raw.load(as: UInt32.self))
        guard stride >= MemoryLayout<bifrost_command_arg>.size else {
            throw refuse("args[0].struct_size is \(stride); ABI 1.5 needs at least \(MemoryLayout<bifrost_command_arg>.size)")
        }
        if let memory = origin.memory, !memory.isReadable(UInt(bitPattern: raw), count: stride * count) {
            throw refuse("arg_count (\(count)) of \(stride)-byte entries runs past readable memory")
        }
        var arguments: [PluginCommandArgument] = []
        for index in 0..<count {
            let entry = raw + index * stride
            let size = Int(entry.load(as: UInt32.self))
            guard size == stride else {
                throw refuse("args[\(index)].struct_size is \(size), but args[0]'s is \(stride); use one struct_size")
            }
            let declared = entry.load(as: bifrost_command_arg.self)
            let name: String
            do throws(PluginLoadError) {
                guard let read = try string(declared.name, origin: origin) else { throw refuse("args[\(index)].name is NULL") }
                name = read
            } catch {
                throw refuse("args[\(index)].name is not a readable NUL-terminated string")
            }
            if let problem = problem(withArgumentName: name) { throw refuse("args[\(index)]: \(problem)") }
            guard !arguments.contains(where: { $0.name == name }) else {
                throw refuse("two arguments are named '\(name)'")
            }
            guard let type = valueType(declared.value_type), type != .void else {
                throw refuse(
                    "argument '\(name)' has unknown value_type \(declared.value_type) (use BIFROST_TYPE_INT64, _DOUBLE, _BOOL or _STRING)"
                )
            }
            guard let description = try? string(declared.description, origin: origin) as String?? else {
                throw refuse("the description of argument '\(name)' is not a readable NUL-terminated string")
            }
            arguments.append(PluginCommandArgument(name: name, type: type, description: description))
        }
        return arguments
    }

    /// The type a `BIFROST_TYPE_*` names; `nil` for any other value.
    static func valueType(_ raw: bifrost_type) -> PluginValueType? {
        switch raw {
        case BIFROST_TYPE_VOID: .void
        case BIFROST_TYPE_INT64: .int64
        case BIFROST_TYPE_DOUBLE: .double
        case BIFROST_TYPE_BOOL: .bool
        case BIFROST_TYPE_STRING: .string
        default: nil
        }
    }

    /// The string at `pointer`, `nil` for NULL; throws when it is not readable memory.
    private static func string(_ pointer: UnsafePointer<CChar>?, origin: Origin) throws(PluginLoadError) -> String? {
        guard let pointer else { return nil }
        if let memory = origin.memory, !memory.isReadableString(UInt(bitPattern: pointer)) {
            throw PluginLoadError(
                file: origin.source, kind: .invalidCommand,
                reason:
                    "plugin '\(origin.plugin)' commands: a name or description (\(pointer)) is not a readable NUL-terminated string"
            )
        }
        return String(cString: pointer)
    }

    private static func problem(withFunction address: UInt, field: String, origin: Origin) -> String? {
        guard let memory = origin.memory else { return nil }
        guard memory.isCode(address) else {
            return "\(field) (0x\(String(address, radix: 16))) does not point to code"
        }
        if let library = origin.library, memory.file(of: address) != library {
            return "\(field) (0x\(String(address, radix: 16))) is not code of the plugin's own library"
        }
        return nil
    }

    /// Why a command name breaks the header's rule (1-64 of `[a-z0-9_-]`, a letter first), or `nil`.
    static func problem(withCommandName name: String?) -> String? {
        guard let name else { return "name is NULL" }
        guard Self.isName(name, extra: [UInt8(ascii: "_"), UInt8(ascii: "-")]) else {
            return "invalid command name '\(name)': use 1-64 characters of [a-z0-9_-], starting with a letter"
        }
        return nil
    }

    /// Why an argument name breaks the header's rule (1-64 of `[a-z0-9_]`, a letter first), or `nil`.
    static func problem(withArgumentName name: String?) -> String? {
        guard let name else { return "name is NULL" }
        guard Self.isName(name, extra: [UInt8(ascii: "_")]) else {
            return "invalid argument name '\(name)': use 1-64 characters of [a-z0-9_], starting with a letter"
        }
        return nil
    }

    private static func isName(_ name: String, extra: Set<UInt8>) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 64, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else {
            return false
        }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || extra.contains(byte)
        }
    }
}

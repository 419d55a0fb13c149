import BifrostCore

/// Plugin commands (ABI 1.5) on the worker wire: the declarations in the creation reply, a
/// `command` message (name and bound arguments) and its `commandDone` reply (a value, or the
/// error the worker's call threw).
extension WorkerWriter {
    mutating func write(_ type: PluginValueType) {
        write(UInt8(PluginValueType.allCases.firstIndex(of: type)!))
    }

    mutating func write(_ declaration: PluginCommandDeclaration) {
        write(declaration.name)
        write(declaration.description)
        write(declaration.arguments) { writer, argument in
            writer.write(argument.name)
            writer.write(argument.type)
            writer.write(argument.description)
        }
        write(declaration.result)
    }

    mutating func write(_ value: PluginCommandValue) {
        switch value {
        case .null: write(UInt8(0))
        case .int64(let number):
            write(UInt8(1))
            write(UInt64(bitPattern: number))
        case .double(let number):
            write(UInt8(2))
            write(number)
        case .bool(let flag):
            write(UInt8(3))
            write(flag)
        case .string(let text):
            write(UInt8(4))
            write(text)
        }
    }
}

extension WorkerReader {
    mutating func readValueType() throws(WorkerProtocolError) -> PluginValueType {
        let index = Int(try readByte())
        guard index < PluginValueType.allCases.count else { throw .unknownTag }
        return PluginValueType.allCases[index]
    }

    mutating func readCommandDeclaration() throws(WorkerProtocolError) -> PluginCommandDeclaration {
        let name = try readString()
        let description = try readOptionalString()
        let arguments = try readArray { (reader) throws(WorkerProtocolError) in
            PluginCommandArgument(
                name: try reader.readString(), type: try reader.readValueType(), description: try reader.readOptionalString())
        }
        return PluginCommandDeclaration(name: name, description: description, arguments: arguments, result: try readValueType())
    }

    mutating func readCommandValue() throws(WorkerProtocolError) -> PluginCommandValue {
        switch try readByte() {
        case 0: return .null
        case 1: return .int64(Int64(bitPattern: try readUInt64()))
        case 2: return .double(try readDouble())
        case 3: return .bool(try readBool())
        case 4: return .string(try readString())
        default: throw .unknownTag
        }
    }
}

extension PluginCommandDeclaration {
    /// The arguments of a call, checked against the declaration: `arguments` must be a JSON
    /// object with exactly the declared members, each of its type (a whole number in range
    /// for `int64`, a finite number for `double`, a string without U+0000 for `string`).
    /// Returns them in declaration order; throws naming the first argument at fault.
    ///
    /// ```swift
    /// let values = try reset.bind(["client": "alice"], plugin: "rate-limit")  // [.string("alice")]
    /// ```
    public func bind(_ arguments: JSONValue, plugin: String) throws(PluginCommandError) -> [PluginCommandValue] {
        guard case .object(let members) = arguments else {
            throw PluginCommandError(
                code: .invalidArguments, plugin: plugin, command: name,
                message:
                    "the arguments of command '\(name)' must be a JSON object of named arguments, not \(arguments.kindDescription)"
            )
        }
        let declared = Set(self.arguments.map(\.name))
        if let extra = members.members.first(where: { !declared.contains($0.key) }) {
            throw PluginCommandError(
                code: .unexpectedArgument, plugin: plugin, command: name, argument: extra.key,
                message: "command '\(name)' of plugin '\(plugin)' has no argument '\(extra.key)' (it takes \(signature))")
        }
        var values: [PluginCommandValue] = []
        values.reserveCapacity(self.arguments.count)
        for argument in self.arguments {
            guard let value = members[argument.name] else {
                throw PluginCommandError(
                    code: .missingArgument, plugin: plugin, command: name, argument: argument.name,
                    message:
                        "command '\(name)' of plugin '\(plugin)' needs argument '\(argument.name)' (\(argument.type.rawValue))")
            }
            guard let bound = Self.bind(value, as: argument.type) else {
                throw PluginCommandError(
                    code: .invalidArgument, plugin: plugin, command: name, argument: argument.name,
                    message:
                        "argument '\(argument.name)' of command '\(name)' must be \(Self.expectation(argument.type)), not \(value.kindDescription)"
                )
            }
            values.append(bound)
        }
        return values
    }

    /// `(client: string, limit: int64) -> bool`.
    public var signature: String {
        "(" + arguments.map { "\($0.name): \($0.type.rawValue)" }.joined(separator: ", ") + ") -> \(result.rawValue)"
    }

    private static func bind(_ value: JSONValue, as type: PluginValueType) -> PluginCommandValue? {
        switch (type, value) {
        case (.int64, .number(let number)):
            if let whole = Int64(number.text) { return .int64(whole) }
            // `1.0` or `1e3`: whole, and exactly representable in range.
            let double = number.doubleValue
            guard double.isFinite, double.rounded() == double, double >= -0x1p63, double < 0x1p63 else { return nil }
            return .int64(Int64(double))
        case (.double, .number(let number)):
            let double = number.doubleValue
            return double.isFinite ? .double(double) : nil
        case (.bool, .bool(let flag)):
            return .bool(flag)
        case (.string, .string(let text)):
            return text.utf8.contains(0) ? nil : .string(text)
        default:
            return nil
        }
    }

    private static func expectation(_ type: PluginValueType) -> String {
        switch type {
        case .int64: "an integer in [-2^63, 2^63) (int64)"
        case .double: "a finite number (double)"
        case .bool: "true or false (bool)"
        case .string: "a string without U+0000 (string)"
        case .void: "nothing (void)"
        }
    }
}

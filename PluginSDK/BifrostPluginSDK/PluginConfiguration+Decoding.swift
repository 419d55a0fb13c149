// FoundationEssentials only: loading the full libFoundation.so into the host (an async
// `main` parked in dispatch_main) hangs it at exit, see PluginSDK/README.md.
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension PluginConfiguration {
    /// Decodes the configuration JSON with `JSONDecoder`, turning a failure into a
    /// ``PluginConfigurationError`` that names the field path, e.g.
    /// `invalid configuration: field 'limits[1].rate' must be a number`.
    ///
    /// Keys are matched exactly (write `CodingKeys` for `snake_case` names). Give
    /// optional fields optional types and apply defaults yourself.
    ///
    /// ```swift
    /// struct Config: Decodable {
    ///     var headerPrefix: String?
    ///     enum CodingKeys: String, CodingKey { case headerPrefix = "header_prefix" }
    /// }
    /// let config = try configuration.decode(Config.self)
    /// ```
    public func decode<T: Decodable>(_ type: T.Type) throws(PluginConfigurationError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw PluginConfigurationError("invalid configuration: " + Self.describe(error))
        } catch {
            throw PluginConfigurationError("invalid configuration: \(error)")
        }
    }

    /// Refuses top-level keys outside `known`, so a typo does not silently fall back to a
    /// default. Call it before or after ``decode(_:)``.
    ///
    /// ```swift
    /// try configuration.rejectUnknownKeys(known: ["header_prefix"])
    /// // invalid configuration: unknown field 'header_prefx' (known fields: header_prefix)
    /// ```
    public func rejectUnknownKeys(known: Set<String>) throws(PluginConfigurationError) {
        let fields: [String: AnyJSON]
        do {
            fields = try JSONDecoder().decode([String: AnyJSON].self, from: Data(bytes))
        } catch let error as DecodingError {
            if case .typeMismatch(_, let context) = error, context.codingPath.isEmpty {
                throw PluginConfigurationError("invalid configuration: must be a JSON object")
            }
            throw PluginConfigurationError("invalid configuration: " + Self.describe(error))
        } catch {
            throw PluginConfigurationError("invalid configuration: \(error)")
        }
        let unknown = fields.keys.filter { !known.contains($0) }.sorted()
        guard unknown.isEmpty else {
            let names = unknown.map { "'\($0)'" }.joined(separator: ", ")
            let list = known.isEmpty ? "none" : known.sorted().joined(separator: ", ")
            throw PluginConfigurationError(
                "invalid configuration: unknown field\(unknown.count == 1 ? "" : "s") \(names) (known fields: \(list))")
        }
    }

    /// A one-line explanation of a decoding failure naming the field path.
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "missing required field '\(path(context.codingPath + [key]))'"
        case .valueNotFound(let type, let context):
            return "\(subject(context.codingPath)) must be \(typeDescription(type)), not null"
        case .typeMismatch(let type, let context):
            return "\(subject(context.codingPath)) must be \(typeDescription(type))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let underlying = context.underlyingError.map(reason(of:)) ?? context.debugDescription
                return "not valid JSON (\(underlying))"
            }
            return "\(subject(context.codingPath)) is invalid: \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// `field 'a.b[2]'`, or `the configuration` for the root.
    static func subject(_ codingPath: [any CodingKey]) -> String {
        codingPath.isEmpty ? "the configuration" : "field '\(path(codingPath))'"
    }

    /// `a.b[2].c`.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                if !text.isEmpty { text += "." }
                text += key.stringValue
            }
        }
        return text
    }

    static func typeDescription(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is Substring.Type, is Character.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int8.Type, is Int16.Type, is Int32.Type, is Int64.Type, is UInt.Type, is UInt8.Type,
            is UInt16.Type, is UInt32.Type, is UInt64.Type:
            return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array<") || name.hasPrefix("Set<") { return "an array" }
            if name.hasPrefix("Dictionary<") { return "an object" }
            return "an object"
        }
    }

    static func reason(of error: any Error) -> String {
        if let decoding = error as? DecodingError, case .dataCorrupted(let context) = decoding {
            return context.debugDescription
        }
        return "\(error)"
    }
}

/// Any JSON value, skipped: for looking at an object's keys only.
private struct AnyJSON: Decodable {
    init(from decoder: any Decoder) throws {}
}

extension PluginConfiguration {
    /// Refuses keys outside `known` in the object `decoder` is decoding; call it from a
    /// nested type's `init(from:)` so typos deep in the configuration are caught with their
    /// path.
    ///
    /// ```swift
    /// init(from decoder: any Decoder) throws {
    ///     try PluginConfiguration.rejectUnknownKeys(in: decoder, known: ["scope", "burst"])
    ///     // invalid configuration: field 'limits[1]' is invalid: unknown field 'burts' (known fields: burst, scope)
    /// }
    /// ```
    public static func rejectUnknownKeys(in decoder: any Decoder, known: Set<String>) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        let unknown = container.allKeys.map(\.stringValue).filter { !known.contains($0) }.sorted()
        guard unknown.isEmpty else {
            let names = unknown.map { "'\($0)'" }.joined(separator: ", ")
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath,
                    debugDescription:
                        "unknown field\(unknown.count == 1 ? "" : "s") \(names) (known fields: \(known.sorted().joined(separator: ", ")))"
                ))
        }
    }
}

/// Any key of a JSON object.
private struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

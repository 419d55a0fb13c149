import ArgumentParser
import BifrostCore

#if canImport(Glibc)
    import Glibc
#endif

struct CallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call a command of a plugin of a running gateway (POST /api/plugins/{plugin}/commands/{command}).",
        discussion: """
            Arguments are name=value pairs, typed by the command's declaration (read from /api/plugins), or one \
            JSON object with --json. Prints the gateway's answer, {"result": …}; on an error prints the gateway's \
            message and exits 1. The admin token is read from BIFROST_ADMIN_TOKEN or --token-file.
            """
    )

    @Option(name: .long, help: "The gateway, http://HOST:PORT (an IPv4 address or localhost).")
    var gateway: String = "http://127.0.0.1:8080"

    @Option(name: .long, help: "A file holding the admin token (else BIFROST_ADMIN_TOKEN).")
    var tokenFile: String?

    @Option(name: .long, help: "The arguments as one JSON object, instead of name=value pairs.")
    var json: String?

    @Argument(help: "The plugin's name.")
    var plugin: String

    @Argument(help: "The command's name.")
    var command: String

    @Argument(help: "The arguments, name=value.")
    var arguments: [String] = []

    func run() throws {
        let endpoint = try AdminEndpoint(gateway, token: try token())
        let body: String
        if let json {
            guard arguments.isEmpty else { fail("give the arguments either as name=value pairs or with --json, not both") }
            body = json
        } else {
            body = try typedArguments(from: endpoint)
        }
        let answer = endpoint.send(
            "POST", "/api/plugins/\(plugin)/commands/\(command)", body: body,
            failing: "cannot reach \(gateway)")
        guard answer.status == 200 else { fail(Self.message(of: answer)) }
        print(String(decoding: answer.body, as: UTF8.self))
    }

    /// The admin token from `--token-file` or `BIFROST_ADMIN_TOKEN`; `nil` when neither is set.
    private func token() throws -> String? {
        if let tokenFile {
            guard let file = fopen(tokenFile, "r") else { fail("--token-file: cannot read \(tokenFile)") }
            defer { fclose(file) }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = fread(&buffer, 1, buffer.count, file)
                if count == 0 { break }
                bytes += buffer[0..<count]
            }
            return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: " \t\r\n")
        }
        return getenv("BIFROST_ADMIN_TOKEN").map { String(cString: $0) }
    }

    /// `name=value` pairs as a JSON object, each value typed by the command's declaration.
    private func typedArguments(from endpoint: AdminEndpoint) throws -> String {
        let listing = endpoint.send("GET", "/api/plugins", body: nil, failing: "cannot reach \(gateway)")
        guard listing.status == 200, let chain = try? JSONValue.parse(listing.body) else { fail(Self.message(of: listing)) }
        guard let entry = chain.objectField("plugins")?.arrayValue?.first(where: { $0.objectField("name") == .string(plugin) })
        else { fail("no plugin named '\(plugin)' in the gateway's chain") }
        guard
            let declaration = entry.objectField("commands")?.arrayValue?.first(where: {
                $0.objectField("name") == .string(command)
            })
        else { fail("plugin '\(plugin)' has no command '\(command)'") }
        var types: [String: String] = [:]
        for argument in declaration.objectField("args")?.arrayValue ?? [] {
            if let name = argument.objectField("name")?.stringValue, let type = argument.objectField("type")?.stringValue {
                types[name] = type
            }
        }
        var members: [JSONObject.Member] = []
        for pair in arguments {
            guard let equals = pair.firstIndex(of: "=") else { fail("argument '\(pair)' is not name=value") }
            let name = String(pair[..<equals])
            let text = String(pair[pair.index(after: equals)...])
            guard let type = types[name] else {
                fail("command '\(command)' has no argument '\(name)' (it takes \(types.keys.sorted().joined(separator: ", ")))")
            }
            guard let value = Self.value(text, as: type) else { fail("argument '\(name)' must be \(type), not '\(text)'") }
            members.append(JSONObject.Member(key: name, value: value))
        }
        return String(decoding: JSONWriter.bytes(of: .object(JSONObject(members: members))), as: UTF8.self)
    }

    /// `text` as JSON of a declared type; `nil` when it is not one.
    static func value(_ text: String, as type: String) -> JSONValue? {
        switch type {
        case "string": return .string(text)
        case "bool": return text == "true" ? .bool(true) : text == "false" ? .bool(false) : nil
        case "int64", "double": return JSONNumber(text: text).map(JSONValue.number)
        default: return nil
        }
    }

    /// The error message of the gateway's answer, or the status when it has none.
    static func message(of answer: AdminEndpoint.Answer) -> String {
        let parsed = try? JSONValue.parse(answer.body)
        return parsed?.objectField("error")?.objectField("message")?.stringValue ?? "the gateway answered \(answer.status)"
    }
}

/// Prints `message` to standard error and exits 1.
func fail(_ message: String) -> Never {
    printError(message)
    exit(1)
}

extension String {
    /// The text without leading and trailing characters of `set`.
    fileprivate func trimmingCharacters(in set: String) -> String {
        let unwanted = Set(set)
        return String(drop { unwanted.contains($0) }.reversed().drop { unwanted.contains($0) }.reversed())
    }
}

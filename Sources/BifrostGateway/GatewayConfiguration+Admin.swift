import BifrostCore
import BifrostHTTP

extension GatewayConfiguration {
    /// `admin`: `{"token": "env.BIFROST_ADMIN_TOKEN"}`, the token `/api/*` and the console
    /// require (a literal token works too, with a warning).
    static func parseAdmin(
        _ value: JSONValue, reader: ConfigurationReader, environment: [String: String],
        into configuration: inout GatewayConfiguration
    ) throws(ConfigurationError) {
        let fields = try reader.object(value, at: "admin", allowed: ["token"])
        guard let token = fields["token"] else {
            throw reader.fail("admin.token", "required: the admin token, written \"env.NAME\" to read it from the environment")
        }
        var parser = ProvidersParser(reader: reader, environment: environment)
        configuration.server.adminToken = AdminToken(try parser.secret(token, at: "admin.token", warnIfLiteral: true))
        configuration.warnings += parser.warnings
    }

    /// `teams`: team name → the client ids of its members (`key:` and the hash of each key, as
    /// the gateway names clients), for plugin scopes to name.
    static func parseTeams(_ value: JSONValue, reader: ConfigurationReader) throws(ConfigurationError) -> [String: [String]] {
        guard case .object(let fields) = value else {
            throw reader.fail("teams", "expected an object, got \(value.kindDescription)")
        }
        var teams: [String: [String]] = [:]
        for (name, members) in fields.dictionary {
            teams[name] = try reader.strings(members, at: "teams.\(name)")
        }
        return teams
    }

    /// A plugin's `scope`: `{"routes": [...], "models": [...], "clients": [...], "teams": [...]}`,
    /// glob patterns (see ``BifrostCore/PluginScope``); a team stands for its members' client ids.
    static func parseScope(
        _ value: JSONValue, at path: String, teams: [String: [String]], reader: ConfigurationReader
    ) throws(ConfigurationError) -> PluginScope {
        let fields = try reader.object(value, at: path, allowed: ["routes", "models", "clients", "teams"])
        func patterns(_ name: String) throws(ConfigurationError) -> [String] {
            try fields[name].map { list throws(ConfigurationError) in try reader.strings(list, at: "\(path).\(name)") } ?? []
        }
        var clients = try patterns("clients")
        for (index, team) in try patterns("teams").enumerated() {
            guard let members = teams[team] else {
                throw reader.fail("\(path).teams[\(index)]", "unknown team '\(team)'; define it under \"teams\"")
            }
            clients += members
        }
        return PluginScope(routes: try patterns("routes"), models: try patterns("models"), clients: clients)
    }
}

extension ConfigurationReader {
    /// An array of non-empty strings.
    func strings(_ value: JSONValue, at path: String) throws(ConfigurationError) -> [String] {
        var result: [String] = []
        for (index, element) in try array(value, at: path).enumerated() {
            result.append(try string(element, at: "\(path)[\(index)]"))
        }
        return result
    }
}

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

    /// A plugin's `scope`: `{"routes": [...], "models": [...], "clients": [...]}`, each a list
    /// of glob patterns (see ``BifrostCore/PluginScope``).
    static func parseScope(_ value: JSONValue, at path: String, reader: ConfigurationReader) throws(ConfigurationError)
        -> PluginScope
    {
        let fields = try reader.object(value, at: path, allowed: ["routes", "models", "clients"])
        func patterns(_ name: String) throws(ConfigurationError) -> [String] {
            guard let list = fields[name] else { return [] }
            var result: [String] = []
            for (index, element) in try reader.array(list, at: "\(path).\(name)").enumerated() {
                result.append(try reader.string(element, at: "\(path).\(name)[\(index)]"))
            }
            return result
        }
        return PluginScope(routes: try patterns("routes"), models: try patterns("models"), clients: try patterns("clients"))
    }
}

import BifrostCore
import BifrostLibrary
import NIOCore

extension HTTPRouter {
    /// `POST /api/plugins/{name}/commands/{command}`: the body's JSON object of named arguments
    /// checked against the declaration, the command called on the blocking pool (never a
    /// network event loop), and `{"result": …}`; 400 naming the argument at fault, 404 for an
    /// unknown plugin or command, 502 when the command did not return.
    func callCommand(_ command: String, of plugin: String, body: ByteBuffer, caller: PluginControlActor, requestID: String)
        async -> HTTPServerResponse
    {
        let arguments: JSONValue
        if body.readableBytes == 0 {
            arguments = .object(JSONObject())
        } else {
            guard let parsed = try? JSONValue.parse(body.readableBytesView) else {
                return HTTPServerResponse(
                    error: BifrostError(
                        status: 400, type: "invalid_request_error", code: PluginCommandError.Code.invalidArguments.rawValue,
                        message: "the body must be a JSON object of the command's named arguments"),
                    requestID: requestID)
            }
            arguments = parsed
        }
        let bifrost = bifrost
        let outcome = await Task(executorPreference: ThreadPoolTaskExecutor.shared) {
            () -> Result<PluginCommandValue, PluginCommandError> in
            do throws(PluginCommandError) {
                return .success(try bifrost.callCommand(command, of: plugin, arguments: arguments, by: caller))
            } catch {
                return .failure(error)
            }
        }.value
        switch outcome {
        case .success(let value):
            var writer = JSONWriter(capacity: 64)
            writer.beginObject()
            writer.key("result")
            writer.value(value.json)
            writer.endObject()
            return HTTPServerResponse(status: .ok, bytes: writer.bytes, requestID: requestID)
        case .failure(let error):
            let status =
                switch error.code {
                case .unknownPlugin, .unknownCommand: 404
                case .failed: 502
                case .invalidArguments, .missingArgument, .unexpectedArgument, .invalidArgument: 400
                }
            return HTTPServerResponse(
                error: BifrostError(
                    status: status, type: status == 502 ? "plugin_error" : "invalid_request_error",
                    code: error.code.rawValue, param: error.argument, message: error.message),
                requestID: requestID)
        }
    }

    /// The `commands` of a plugin's `/api/plugins` entry: `[{"name","description","args":[{"name",
    /// "type","description"},…],"result"},…]`, empty for a plugin without commands.
    static func writeCommands(of plugin: any Plugin, into writer: inout JSONWriter) {
        writer.key("commands")
        writer.beginArray()
        for command in (plugin as? any CommandPlugin)?.commands ?? [] {
            writer.beginObject()
            writer.key("name")
            writer.string(command.name)
            writer.key("description")
            writer.optionalString(command.description)
            writer.key("args")
            writer.beginArray()
            for argument in command.arguments {
                writer.beginObject()
                writer.key("name")
                writer.string(argument.name)
                writer.key("type")
                writer.string(argument.type.rawValue)
                writer.key("description")
                writer.optionalString(argument.description)
                writer.endObject()
            }
            writer.endArray()
            writer.key("result")
            writer.string(command.result.rawValue)
            writer.endObject()
        }
        writer.endArray()
    }
}

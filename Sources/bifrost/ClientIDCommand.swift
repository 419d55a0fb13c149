import ArgumentParser
import BifrostGateway
import BifrostHTTP

struct ClientIDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client-id",
        abstract: "Print the client id the gateway gives each API key read from standard input, one per line.",
        discussion: """
            The ids are keyed with server.client_id_secret from --config, as the gateway keys them: list them under \
            "teams" or in a plugin's scope. Keys are read from standard input so that they stay out of the shell's \
            history and the process list; nothing is printed of them.
            """
    )

    @Option(name: .long, help: "The gateway's JSON configuration file (its server.client_id_secret keys the ids).")
    var config: String

    func run() throws {
        let configuration: GatewayConfiguration
        do {
            configuration = try GatewayConfiguration.load(file: config)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        let secret = configuration.server.clientIDSecret
        guard secret.isConfigured else {
            printError(
                "\(config) sets no server.client_id_secret: the gateway draws one at random each time it starts, so no id is stable"
            )
            throw ExitCode(2)
        }
        while let line = readLine(strippingNewline: true) {
            let key = line.trimmingCharacters(in: [" ", "\t", "\r"])
            if key.isEmpty { continue }
            print(secret.clientID(forKey: key))
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        var text = self[...]
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}

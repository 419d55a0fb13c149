import BifrostCore
import BifrostNativePlugins
import BifrostTestSupport
import CBifrostPlugin
import Foundation
import Testing

@Suite("Loader refusals: one purpose-built broken .so each")
struct PluginLoaderTests {
    @Test func missingEntryPointIsRefusedNamingTheSymbol() async throws {
        let (file, error) = try await refusal(ofBroken: 1)
        #expect(error.kind == .missingEntryPoint)
        #expect(error.description.hasPrefix("\(file): refused: "))
        #expect(error.description.contains("no 'bifrost_plugin_create' symbol"))
    }

    @Test(arguments: [
        (9, "the plugin table's pre_hook (0x1234) does not point to code"),
        (10, "the plugin table's name (0x10) is not a readable NUL-terminated string"),
        (11, "bifrost_plugin_create returned 0x00000000dead0000, which is not readable memory"),
        (12, "not the plugin's own code"),
    ])
    func tablesPointingNowhereAreRefusedBeforeAnyIsUsed(mode: Int, reason: String) async throws {
        let (file, error) = try await refusal(ofBroken: mode)
        #expect(error.kind == .invalidTable)
        #expect(error.description.hasPrefix("\(file): refused: "))
        #expect(error.reason.contains(reason), "\(error.reason)")
    }

    @Test func nullResultQuotesThePluginsOwnMessage() async throws {
        let (file, error) = try await refusal(ofBroken: 2)
        #expect(error.kind == .refused)
        #expect(error.description == "\(file): refused: the plugin refused to load: option 'database_url' is required")
    }

    @Test func nullResultWithoutMessageSaysSo() async throws {
        let (_, error) = try await refusal(ofBroken: 3)
        #expect(error.kind == .refused)
        #expect(error.reason.contains("returned NULL without a message"))
    }

    @Test func abiMajorMismatchNamesBothVersions() async throws {
        let (file, error) = try await refusal(ofBroken: 4)
        #expect(error.kind == .abiMismatch)
        #expect(error.description.contains(file))
        #expect(error.reason.contains("built for plugin ABI 2.3"))
        #expect(error.reason.contains("this host speaks ABI \(BIFROST_ABI_VERSION_MAJOR).\(BIFROST_ABI_VERSION_MINOR)"))
    }

    @Test func tooSmallTableIsRefused() async throws {
        let (file, error) = try await refusal(ofBroken: 5)
        #expect(error.kind == .tableTooSmall)
        #expect(error.description.contains(file))
        #expect(error.reason.contains("struct_size is 24 bytes"))
    }

    @Test(arguments: [(6, "the plugin's name is empty"), (7, "invalid plugin name 'Bad Name!'"), (8, "name is NULL")])
    func badNamesAreRefused(mode: Int, expected: String) async throws {
        let (file, error) = try await refusal(ofBroken: mode)
        #expect(error.kind == .invalidName)
        #expect(error.description.contains(file))
        #expect(error.reason.contains(expected))
    }

    @Test func aFileThatIsNotASharedObjectQuotesDlerror() throws {
        let directory = try CPluginCompiler.temporaryDirectory()
        let file = directory + "/garbage.so"
        try Data("this is not an ELF file".utf8).write(to: URL(fileURLWithPath: file))
        do {
            _ = try PluginLoader.load(file: file)
            Issue.record("garbage loaded")
        } catch {
            #expect(error.kind == .notLoadable)
            #expect(error.description.hasPrefix("\(file): refused: not a loadable shared object: "))
            #expect(error.reason.contains(file))  // dlerror names the file
        }
    }

    @Test func aMissingFileIsRefused() throws {
        do {
            _ = try PluginLoader.load(file: "/nonexistent/plugin.so")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.kind == .fileNotFound)
            #expect(error.description.hasPrefix("/nonexistent/plugin.so: refused: cannot read the file"))
        }
    }

    @Test func aWellFormedCPluginLoadsWithItsDescriptor() async throws {
        let plugin = try await tracer("alpha")
        #expect(plugin.descriptor.name == "alpha")
        #expect(plugin.descriptor.version == "0.1.0")
        #expect(plugin.descriptor.abiVersion == "\(BIFROST_ABI_VERSION_MAJOR).\(BIFROST_ABI_VERSION_MINOR)")
        #expect(plugin.descriptor.kind == "native")
        #expect(plugin.descriptor.hooks == [.pre, .post])
        #expect(plugin.descriptor.defaultFailurePolicy == .failClosed)

        let preless = try await tracer("beta", ["NO_PRE": "1", "FAIL_OPEN": "1"])
        #expect(preless.descriptor.hooks == [.post])
        #expect(preless.descriptor.defaultFailurePolicy == .failOpen)
    }

    @Test func theExampleCPluginRefusesABadConfigurationWithItsMessage() async throws {
        let file = try await CPluginCompiler.compile(
            file: CPluginCompiler.repositoryRoot + "/ExamplePlugins/model-alias/model_alias.c", as: "10-model-alias.so")
        do {
            _ = try PluginLoader.load(file: file, configuration: Array(#"{"aliases": {"fast": "no-slash"}}"#.utf8))
            Issue.record("bad configuration accepted")
        } catch {
            #expect(
                error.description
                    == #"\#(file): refused: the plugin refused to load: aliases.fast: expected "provider/model", got "no-slash""#
            )
            #expect(error.field == "aliases.fast")
        }
    }
}

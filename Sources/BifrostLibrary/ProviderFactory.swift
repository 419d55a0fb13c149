import BifrostCore
import BifrostProviders
import Logging

/// Builds the providers and the dispatcher an account describes.
///
/// ```swift
/// let settings = try await ProviderFactory.settings(of: account)
/// let (dispatcher, upstream) = ProviderFactory.makeDispatcher(settings: settings, logger: logger)
/// ```
enum ProviderFactory {
    /// Every provider the account configures, with its settings and keys, in the account's order.
    static func settings(of account: any Account) async throws -> [ProviderSettings] {
        var all: [ProviderSettings] = []
        for name in try await account.configuredProviders() {
            guard !all.contains(where: { $0.name == name }) else {
                throw AccountError(provider: name, reason: "the account lists provider '\(name)' twice")
            }
            var settings = try await account.settings(for: name)
            settings.name = name
            settings.keys = try await account.keys(for: name)
            all.append(settings)
        }
        return all
    }

    /// Refuses a network provider whose base URL the upstream client cannot send to, and a Swift
    /// provider named like one of the account's network providers (a Swift provider may replace
    /// the built-in mock).
    static func check(_ settings: [ProviderSettings], custom: [any Provider]) throws(AccountError) {
        for provider in settings where provider.kind != .mock {
            do {
                _ = try UpstreamEndpoint.parse(provider.baseURL)
            } catch {
                throw AccountError(provider: provider.name, reason: error.description)
            }
        }
        for provider in custom where settings.contains(where: { $0.name == provider.name && $0.kind != .mock }) {
            throw AccountError(
                provider: provider.name,
                reason: "provider '\(provider.name)' is both in the account and given as a Swift provider")
        }
    }

    /// The dispatcher over these providers (and the `custom` ones, after them) and the upstream
    /// HTTP client they share (to shut down with Bifrost; none when only the mock is configured).
    static func makeDispatcher(
        settings: [ProviderSettings], custom: [any Provider], streamBufferChunks: Int = ChatStream.defaultBufferCapacity,
        logger: Logger
    ) -> (Dispatcher, UpstreamHTTPClient?) {
        let needsHTTP = settings.contains { ProviderKinds.needsHTTP($0.kind) }
        // Making a client opens nothing; the mock's factory ignores it.
        let httpClient = UpstreamHTTPClient(configuration: .init(streamBufferChunks: streamBufferChunks))
        let configured: [any Provider] = settings.filter { settings in !custom.contains { $0.name == settings.name } }.compactMap
        {
            settings in
            settings.makeProvider(httpClient: httpClient, logger: logger)
        }
        let providers = configured + custom
        logger.info("providers: \(providers.map(\.name).joined(separator: ", "))")
        return (Dispatcher(providers: providers, settings: settings, logger: logger), needsHTTP ? httpClient : nil)
    }
}

/// An ``Account`` that describes its providers inconsistently.
///
/// ```swift
/// throw AccountError(provider: "openai", reason: "the account lists provider 'openai' twice")
/// ```
public struct AccountError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The provider concerned.
    ///
    /// ```swift
    /// print(error.provider, error.reason)
    /// ```
    public var provider: String
    /// What is wrong.
    public var reason: String

    /// Creates an error.
    ///
    /// ```swift
    /// let error = AccountError(provider: "openai", reason: "no base URL")
    /// ```
    public init(provider: String, reason: String) {
        self.provider = provider
        self.reason = reason
    }

    /// `account: <reason>`.
    public var description: String { "account: \(reason)" }
}

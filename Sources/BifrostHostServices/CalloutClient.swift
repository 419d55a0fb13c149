public import BifrostCore
public import BifrostProviders

/// Sends the HTTP callouts plugins ask for (PluginSDK/DESIGN.md §7) over the gateway's
/// upstream HTTP client: pooled connections, on the event loops, within each callout's timeout
/// and body limit.
///
/// ```swift
/// let callouts = CalloutClient(httpClient: UpstreamHTTPClient())
/// switch await callouts.send(CalloutRequest(method: "GET", url: "http://127.0.0.1:9000/check")) {
/// case .success(let answer): print(answer.status)
/// case .failure(let failure): print(failure.code)
/// }
/// ```
public struct CalloutClient: Sendable {
    /// The HTTP client the callouts share.
    public let httpClient: UpstreamHTTPClient

    /// A client over `httpClient`.
    public init(httpClient: UpstreamHTTPClient) {
        self.httpClient = httpClient
    }

    /// Sends `request`; any status is an answer, no answer within its timeout, an unreachable
    /// service or a body over its limit a failure.
    public func send(_ request: CalloutRequest) async -> Result<CalloutResponse, CalloutFailure> {
        let url = UpstreamURL(request.url)
        guard case .success = url.parsed else {
            return .failure(CalloutFailure(.invalidRequest, "the callout's URL is not an absolute http or https URL"))
        }
        let timeout = min(max(request.timeout, .milliseconds(1)), CalloutRequest.maximumTimeout)
        let client = UpstreamClient(
            provider: "callout", httpClient: httpClient,
            timeouts: ProviderSettings.Timeouts(connect: timeout, request: timeout, streamIdle: timeout))
        let limit = min(max(request.maximumResponseBytes, 0), CalloutRequest.maximumResponseBytes)
        do {
            let answer = try await client.exchange(
                UpstreamRequest(
                    method: request.method, url: url, headers: request.headers, body: request.body.isEmpty ? nil : request.body),
                bodyLimit: limit)
            return .success(CalloutResponse(status: answer.status, headers: answer.headers, body: answer.body))
        } catch {
            let code: CalloutFailure.Code =
                if error.code == UpstreamClient.responseTooLargeCode {
                    .tooLarge
                } else if error.status == 504 {
                    .timeout
                } else {
                    .unavailable
                }
            return .failure(CalloutFailure(code, error.message))
        }
    }
}

public import BifrostPluginSDK
import RequestLogging

/// The library's one exported symbol: creates ``RequestLogging/RequestLogger`` for the host.
///
/// ```sh
/// nm -D --defined-only libLoggingPlugin.so | grep bifrost_plugin_create
/// ```
@_cdecl("bifrost_plugin_create")
public func bifrostPluginCreate(
    _ host: UnsafePointer<bifrost_host_api>?,
    _ token: OpaquePointer?,
    _ config: UnsafePointer<CChar>?,
    _ configLength: Int
) -> UnsafePointer<bifrost_plugin>? {
    exportPlugin(RequestLogger.self, host: host, token: token, config: config, configLength: configLength)
}

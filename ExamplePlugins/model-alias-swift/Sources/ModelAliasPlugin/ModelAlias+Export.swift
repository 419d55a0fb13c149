public import BifrostPluginSDK
import ModelAlias

/// The library's one exported symbol: creates ``ModelAlias`` for the host.
@_cdecl("bifrost_plugin_create")
public func bifrostPluginCreate(
    _ host: UnsafePointer<bifrost_host_api>?,
    _ token: OpaquePointer?,
    _ config: UnsafePointer<CChar>?,
    _ configLength: Int
) -> UnsafePointer<bifrost_plugin>? {
    exportPlugin(ModelAlias.self, host: host, token: token, config: config, configLength: configLength)
}

// swift-tools-version:6.0
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let sdk: Target.Dependency = .product(name: "BifrostPluginSDK", package: "PluginSDK")

let package = Package(
    name: "bifrost",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bifrost", targets: ["bifrost"]),
        .executable(name: "bifrost-bench", targets: ["BifrostBenchmarks"]),
        .library(name: "BifrostCore", targets: ["BifrostCore"]),
        .library(name: "BifrostWire", targets: ["BifrostWire"]),
        .library(name: "BifrostNativePlugins", targets: ["BifrostNativePlugins"]),
        .library(name: "BifrostPluginIsolation", targets: ["BifrostPluginIsolation"]),
        .library(name: "BifrostState", targets: ["BifrostState"]),
        .library(name: "BifrostHostServices", targets: ["BifrostHostServices"]),
        .library(name: "BifrostLibrary", targets: ["BifrostLibrary"]),
        .library(name: "BifrostHTTP", targets: ["BifrostHTTP"]),
        .library(name: "BifrostPluginHarness", targets: ["BifrostPluginHarness"]),
        .library(name: "TimingHeadersPlugin", type: .dynamic, targets: ["TimingHeadersPlugin"]),
        .library(name: "RateLimitingPlugin", type: .dynamic, targets: ["RateLimitingPlugin"]),
        .library(name: "CachingPlugin", type: .dynamic, targets: ["CachingPlugin"]),
        .library(name: "MonitoringPlugin", type: .dynamic, targets: ["MonitoringPlugin"]),
        .library(name: "LoggingPlugin", type: .dynamic, targets: ["LoggingPlugin"]),
        .library(name: "ModelAliasPlugin", type: .dynamic, targets: ["ModelAliasPlugin"]),
    ],
    dependencies: [
        // The plugin SDK is a package of its own (PluginSDK/README.md), so a plugin builds without the gateway's
        // dependencies; its identity is the folder's name, `PluginSDK`.
        .package(path: "PluginSDK"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // MARK: Host
        .target(
            name: "BifrostPluginHarness",
            dependencies: [
                sdk, "BifrostCore", "BifrostNativePlugins", "BifrostPluginCases", "BifrostHostServices", "BifrostProviders",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .target(name: "CBifrostAtomics"),
        .target(
            name: "BifrostCore",
            dependencies: ["CBifrostAtomics", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSwift
        ),
        .target(name: "BifrostWire", dependencies: ["BifrostCore"], swiftSettings: strictSwift),
        .target(name: "CBifrostHostSupport"),
        .systemLibrary(name: "CFFI", pkgConfig: "libffi", providers: [.apt(["libffi-dev"])]),
        .target(
            name: "BifrostNativePlugins",
            dependencies: [
                "BifrostCore", "BifrostWire", "CBifrostHostSupport", "CFFI",
                .product(name: "CBifrostPlugin", package: "PluginSDK"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // NativeSession is touched by one thread at a time by construction (one session per
            // thread); dynamic exclusivity checks cost more than the hook call itself.
            swiftSettings: strictSwift + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        .target(
            name: "BifrostState",
            dependencies: [
                "BifrostCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "BifrostHostServices",
            dependencies: ["BifrostCore", "BifrostState", "BifrostProviders", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSwift
        ),
        .target(
            name: "BifrostPluginIsolation",
            dependencies: [
                "BifrostCore", "BifrostNativePlugins", "CBifrostHostSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "BifrostPluginCases",
            dependencies: ["BifrostCore", "BifrostWire"],
            swiftSettings: strictSwift
        ),
        .target(
            name: "BifrostLibrary",
            dependencies: [
                "BifrostCore", "BifrostNativePlugins", "BifrostPluginIsolation", "BifrostProviders",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "BifrostHTTP",
            dependencies: [
                "BifrostCore", "BifrostWire", "BifrostLibrary",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The README's picture of the console; the page itself is a Swift literal.
            exclude: ["Console/console.png"],
            swiftSettings: strictSwift
        ),
        .target(
            name: "BifrostProviders",
            dependencies: [
                "BifrostCore", "BifrostWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "BifrostGateway",
            dependencies: [
                "BifrostCore", "BifrostNativePlugins", "BifrostPluginIsolation", "BifrostLibrary", "BifrostHTTP",
                "BifrostProviders", "BifrostState", "BifrostHostServices",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "bifrost",
            dependencies: [
                "BifrostGateway", "BifrostLibrary", "BifrostNativePlugins", "BifrostPluginIsolation", "BifrostPluginCases",
                "BifrostCore", "BifrostHostServices", "BifrostProviders",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "LibraryQuickstart",
            dependencies: ["BifrostLibrary", "BifrostCore", .product(name: "Logging", package: "swift-log")],
            path: "Examples/LibraryQuickstart",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "BifrostBenchmarks",
            dependencies: [
                "BifrostCore", "BifrostWire", "BifrostNativePlugins", "BifrostPluginIsolation", "BifrostProviders",
                sdk,
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/bifrost-bench",
            swiftSettings: strictSwift
        ),

        // MARK: Example plugins
        .target(
            name: "TimingHeadersPlugin",
            dependencies: [sdk],
            path: "ExamplePlugins/timing-headers/Sources",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "TimingHeadersPluginTests",
            dependencies: ["TimingHeadersPlugin", "BifrostPluginHarness", "BifrostCore"],
            path: "ExamplePlugins/timing-headers/Tests",
            swiftSettings: strictSwift
        ),

        .target(
            name: "RateLimiting",
            dependencies: [sdk],
            path: "ExamplePlugins/rate-limiting/Sources/RateLimiting",
            swiftSettings: strictSwift
        ),
        .target(
            name: "RateLimitingPlugin",
            dependencies: ["RateLimiting"],
            path: "ExamplePlugins/rate-limiting/Sources/RateLimitingPlugin",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "RateLimitingTests",
            dependencies: ["RateLimiting", "BifrostPluginHarness", "BifrostCore", "BifrostTestSupport"],
            path: "ExamplePlugins/rate-limiting/Tests",
            swiftSettings: strictSwift
        ),
        .target(
            name: "ResponseCaching",
            dependencies: [sdk],
            path: "ExamplePlugins/caching/Sources/ResponseCaching",
            swiftSettings: strictSwift
        ),
        .target(
            name: "CachingPlugin",
            dependencies: ["ResponseCaching"],
            path: "ExamplePlugins/caching/Sources/CachingPlugin",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "ResponseCachingTests",
            dependencies: ["ResponseCaching", "BifrostPluginHarness", "BifrostCore", "BifrostTestSupport"],
            path: "ExamplePlugins/caching/Tests",
            swiftSettings: strictSwift
        ),
        .target(
            name: "Monitoring",
            dependencies: [sdk],
            path: "ExamplePlugins/monitoring/Sources/Monitoring",
            swiftSettings: strictSwift
        ),
        .target(
            name: "MonitoringPlugin",
            dependencies: ["Monitoring"],
            path: "ExamplePlugins/monitoring/Sources/MonitoringPlugin",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "MonitoringTests",
            dependencies: [
                "Monitoring", "RateLimiting", "ResponseCaching", "BifrostPluginHarness", "BifrostCore", "BifrostTestSupport",
            ],
            path: "ExamplePlugins/monitoring/Tests",
            swiftSettings: strictSwift
        ),
        .target(
            name: "RequestLogging",
            dependencies: [sdk],
            path: "ExamplePlugins/logging/Sources/RequestLogging",
            swiftSettings: strictSwift
        ),
        .target(
            name: "LoggingPlugin",
            dependencies: ["RequestLogging"],
            path: "ExamplePlugins/logging/Sources/LoggingPlugin",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "RequestLoggingTests",
            dependencies: ["RequestLogging", "RateLimiting", "BifrostPluginHarness", "BifrostCore", "BifrostTestSupport"],
            path: "ExamplePlugins/logging/Tests",
            swiftSettings: strictSwift
        ),

        .target(
            name: "ModelAlias",
            dependencies: [sdk],
            path: "ExamplePlugins/model-alias-swift/Sources/ModelAlias",
            swiftSettings: strictSwift
        ),
        .target(
            name: "ModelAliasPlugin",
            dependencies: ["ModelAlias"],
            path: "ExamplePlugins/model-alias-swift/Sources/ModelAliasPlugin",
            swiftSettings: strictSwift
        ),

        // MARK: Host tests
        .target(
            name: "BifrostTestSupport",
            dependencies: [
                "BifrostCore", "BifrostNativePlugins", "BifrostGateway", "BifrostHTTP", sdk,
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/BifrostTestSupport",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "BifrostStateTests",
            dependencies: [
                "BifrostState", "BifrostCore", "BifrostTestSupport", .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "BifrostCoreTests",
            dependencies: ["BifrostCore", "BifrostWire"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "BifrostNativePluginsTests",
            dependencies: ["BifrostNativePlugins", "BifrostCore", "BifrostTestSupport"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "BifrostProvidersTests",
            dependencies: [
                "BifrostProviders", "BifrostCore", "BifrostWire", "BifrostTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "BifrostHTTPTests",
            dependencies: ["BifrostHTTP", "BifrostCore", "BifrostWire", "BifrostProviders", "BifrostTestSupport"],
            exclude: ["Python", "Conformance", "Console"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "BifrostGatewayTests",
            dependencies: [
                "BifrostGateway", "BifrostLibrary", "BifrostCore", "BifrostHTTP", "BifrostNativePlugins",
                "BifrostPluginIsolation", "BifrostTestSupport", sdk,
                .product(name: "BifrostPluginTesting", package: "PluginSDK"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "BifrostLibraryTests",
            dependencies: [
                "BifrostLibrary", "BifrostCore", "BifrostHTTP", "BifrostNativePlugins", "BifrostTestSupport",
            ],
            swiftSettings: strictSwift
        ),
    ]
)

import BifrostCore
import BifrostHTTP
import Testing

@Suite("client ids: a keyed hash of the client's key")
struct ClientIDSecretTests {
    @Test("SipHash-2-4 gives the reference implementation's value")
    func sipHashMatchesTheReferenceVector() {
        // The reference test vector: key 00 01 … 0f, message 00 01 … 0e.
        let hasher = SipHash(key0: 0x0706_0504_0302_0100, key1: 0x0f0e_0d0c_0b0a_0908)
        #expect(hasher.hash((0..<15).map { UInt8($0) }) == 0xa129_ca61_49be_45e5)
        #expect(hasher.hash([UInt8]()) == 0x726f_db47_dd0e_0e31)
    }

    @Test("one secret gives one id per key, in every process; another secret another id")
    func idsAreStablePerSecret() {
        let replicaA = ClientIDSecret("shared by the replicas")
        let replicaB = ClientIDSecret("shared by the replicas")
        let other = ClientIDSecret("another gateway")
        let id = replicaA.clientID(forKey: "sk-live-123")
        #expect(id == replicaB.clientID(forKey: "sk-live-123"))
        #expect(id != other.clientID(forKey: "sk-live-123"))
        #expect(id != replicaA.clientID(forKey: "sk-live-124"))
        #expect(id.hasPrefix("key:") && id.utf8.count == 20)
        #expect(!id.contains("sk-live"))
    }

    @Test("the secret never shows in a description")
    func theSecretIsNotPrinted() {
        let secret = ClientIDSecret("do-not-print-me")
        #expect(secret.isConfigured)
        #expect(!"\(secret)".contains("do-not-print-me"))
        #expect(!"\(String(reflecting: secret))".contains("do-not-print-me"))
        #expect(!ClientIDSecret.processDefault.isConfigured)
    }
}

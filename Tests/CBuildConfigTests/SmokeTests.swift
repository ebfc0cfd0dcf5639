import Testing
@testable import CBuildConfig
@Test func smoke() { #expect(NameRules.isName("a")) }

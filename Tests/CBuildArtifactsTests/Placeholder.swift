import Testing

@Test func placeholderArtifacts() { #expect(Bool(true)) }

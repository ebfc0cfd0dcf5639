import Testing

@Test func placeholderCatalyst() { #expect(Bool(true)) }

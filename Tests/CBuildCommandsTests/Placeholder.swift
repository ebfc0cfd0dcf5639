import Testing

@Test func placeholderCommands() { #expect(Bool(true)) }

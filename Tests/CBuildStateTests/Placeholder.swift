import Testing

@Test func placeholderState() { #expect(Bool(true)) }

import Testing

@Test func imagesPlaceholder() { #expect(Bool(true)) }

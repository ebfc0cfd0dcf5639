/// Placeholder until the image rules land.
enum CBuildImagesPlaceholder {}

import Testing
@testable import BerthImages

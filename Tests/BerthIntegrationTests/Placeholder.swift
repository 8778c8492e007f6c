import Testing
import BerthCore

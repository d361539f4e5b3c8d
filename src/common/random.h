// Unpredictable identifiers: message IDs, confirmation tokens, request IDs.
// Bytes come from the kernel (getrandom), so they are fit for secrets such
// as subscription tokens. Thread-safe.

#pragma once

#include <cstddef>
#include <string>

namespace tw {

// A random (version 4) UUID in lower-case hex: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324".
std::string NewUuid();

// `bytes` random bytes as 2 * `bytes` lower-case hex digits.
std::string RandomHex(std::size_t bytes);

}  // namespace tw

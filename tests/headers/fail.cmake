# Fail a test with a message: cmake -DMESSAGE=... -P fail.cmake
message(FATAL_ERROR "header self-test: ${MESSAGE}")

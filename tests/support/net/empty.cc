// Keeps tw_test_net a valid library while it has no other sources.

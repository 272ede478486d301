// Placeholder until the HTTP tests land (replaced in this session).
#include <gtest/gtest.h>

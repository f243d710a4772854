// SPDX-License-Identifier: MIT
// scratch_dir.h - a GoogleTest fixture giving each test its own temporary
// directory (ctest runs tests in parallel), removed afterwards.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace coshare::testing {

class ScratchDirTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        const auto* t = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = std::filesystem::temp_directory_path() /
               ("coshare_" + std::string(t->test_suite_name()) + "_" + t->name() +
                "_" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override
    {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    std::filesystem::path dir_;
};

}  // namespace coshare::testing

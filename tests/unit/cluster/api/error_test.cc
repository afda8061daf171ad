// NDB error codes as the API reports them: the class decides retry or not.
#include <gtest/gtest.h>

#include "cluster/api/error.h"

using namespace halb::cluster::api;

TEST(ApiError, NoErrorIsFalse) {
  NdbError e = make_error(0);
  EXPECT_FALSE(e);
  EXPECT_EQ(e.status, ErrorStatus::kSuccess);
}

TEST(ApiError, NodeFailuresAndTimeoutsAreTemporary) {
  for (uint32_t code : {286u, 4010u, 4035u, 266u, 298u, 233u, 1217u, 410u, 4012u}) {
    NdbError e = make_error(code);
    EXPECT_TRUE(e) << code;
    EXPECT_TRUE(e.temporary()) << code;
  }
  EXPECT_EQ(make_error(286).classification, ErrorClass::kNodeRecoveryError);
  EXPECT_EQ(make_error(266).classification, ErrorClass::kTimeoutExpired);
  EXPECT_EQ(make_error(266).message, "Time-out in NDB, probably caused by deadlock");
}

TEST(ApiError, DataAndSchemaErrorsArePermanent) {
  EXPECT_EQ(make_error(626).classification, ErrorClass::kNoDataFound);
  EXPECT_EQ(make_error(630).classification, ErrorClass::kConstraintViolation);
  EXPECT_EQ(make_error(893).classification, ErrorClass::kConstraintViolation);
  EXPECT_EQ(make_error(709).classification, ErrorClass::kSchemaError);
  EXPECT_EQ(make_error(721).message, "Table or index with given name already exists");
  EXPECT_EQ(make_error(827).classification, ErrorClass::kInsufficientSpace);
  for (uint32_t code : {626u, 630u, 709u, 721u, 827u, 625u, 4275u})
    EXPECT_EQ(make_error(code).status, ErrorStatus::kPermanent) << code;
}

TEST(ApiError, ClusterFailureIsAnUnknownResult) {
  NdbError e = make_error(4009);
  EXPECT_EQ(e.status, ErrorStatus::kUnknownResult);
  EXPECT_FALSE(e.temporary());
  EXPECT_EQ(class_name(e.classification), "Unknown result error");
}

TEST(ApiError, UnknownCodesAreInternalAndKeepTheDetail) {
  NdbError e = make_error(99999, "what the node said");
  EXPECT_EQ(e.classification, ErrorClass::kInternalError);
  EXPECT_EQ(e.status, ErrorStatus::kPermanent);
  EXPECT_NE(e.message.find("what the node said"), std::string::npos);
  EXPECT_NE(make_error(4275, "bad column").message.find(": bad column"), std::string::npos);
}

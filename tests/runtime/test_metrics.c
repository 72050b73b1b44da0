/* tests/runtime/test_metrics.c — rt_metrics on known data: reports
 * compared with what scikit-learn prints (the first case is the example
 * in its classification_report documentation; the others come from a
 * line-by-line Python transcription of its formatting code and formulas),
 * the confusion matrix, argmax, accuracy, MSE and PSNR by hand. */
#include <config.h>

#include <math.h>
#include <stdlib.h>

#include "rt_metrics.h"
#include "rt_test.h"

/* What f(stream) printed, in a new string. */
static char *printed(FILE *f) {
  long n = ftell(f);
  char *s = malloc((size_t)n + 1);
  rewind(f);
  s[fread(s, 1, (size_t)n, f)] = '\0';
  fclose(f);
  return s;
}

static void confusion_of(RtConfusion *c, int classes, const int32_t *truth,
                         const int32_t *pred, size_t n) {
  rt_confusion_init(c, classes);
  rt_confusion_add(c, truth, pred, n);
}

static void check_report(const RtConfusion *c, const char *const *names,
                         int digits, const char *want, const char *what) {
  FILE *f = tmpfile();
  char *got;
  ok(rt_classification_report(f, c, names, digits) == 0, "%s: printed",
     what);
  got = printed(f);
  is_str(got, want, "%s: as scikit-learn prints it", what);
  free(got);
}

static void test_doc_example(void) {
  static const int32_t truth[] = {0, 1, 2, 2, 2}, pred[] = {0, 0, 2, 2, 1};
  static const char *const names[] = {"class 0", "class 1", "class 2"};
  static const char want[] =
    "              precision    recall  f1-score   support\n"
    "\n"
    "     class 0       0.50      1.00      0.67         1\n"
    "     class 1       0.00      0.00      0.00         1\n"
    "     class 2       1.00      0.67      0.80         3\n"
    "\n"
    "    accuracy                           0.60         5\n"
    "   macro avg       0.50      0.56      0.49         5\n"
    "weighted avg       0.70      0.60      0.61         5\n";
  RtConfusion c;
  RtClassStats s[3], macro, weighted;
  confusion_of(&c, 3, truth, pred, 5);
  check_report(&c, names, 2, want, "scikit-learn's documented example");
  rt_class_stats(&c, s, &macro, &weighted);
  ok(s[0].precision == 0.5 && s[0].recall == 1 && s[0].f1 == 2.0 / 3 &&
     s[0].support == 1, "class 0: 1/2, 1/1, 2/3");
  ok(s[1].precision == 0 && s[1].recall == 0 && s[1].f1 == 0,
     "class 1: never right, all 0");
  ok(s[2].precision == 1 && s[2].recall == 2.0 / 3 && s[2].f1 == 0.8 &&
     s[2].support == 3, "class 2: 2/2, 2/3, 4/5");
  ok(fabs(macro.recall - (1 + 2.0 / 3) / 3) < 1e-15 &&
     fabs(weighted.f1 - (2.0 / 3 + 3 * 0.8) / 5) < 1e-15 &&
     macro.support == 5 && weighted.support == 5, "macro and weighted");
  rt_confusion_free(&c);
}

static void test_absent_class(void) {
  static const int32_t truth[] = {0, 0, 1, 1}, pred[] = {0, 1, 1, 1};
  static const char want[] =
    "              precision    recall  f1-score   support\n"
    "\n"
    "           0       1.00      0.50      0.67         2\n"
    "           1       0.67      1.00      0.80         2\n"
    "           2       0.00      0.00      0.00         0\n"
    "\n"
    "    accuracy                           0.75         4\n"
    "   macro avg       0.56      0.50      0.49         4\n"
    "weighted avg       0.83      0.75      0.73         4\n";
  RtConfusion c;
  confusion_of(&c, 3, truth, pred, 4);
  check_report(&c, NULL, 2, want, "a class never seen nor predicted");
  rt_confusion_free(&c);
}

static void test_long_names(void) {
  static const int32_t truth[] = {0, 1, 1}, pred[] = {0, 1, 0};
  static const char *const names[] = {"negative-examples-long", "pos"};
  static const char want[] =
    "                        precision    recall  f1-score   support\n"
    "\n"
    "negative-examples-long      0.500     1.000     0.667         1\n"
    "                   pos      1.000     0.500     0.667         2\n"
    "\n"
    "              accuracy                          0.667         3\n"
    "             macro avg      0.750     0.750     0.667         3\n"
    "          weighted avg      0.833     0.667     0.667         3\n";
  RtConfusion c;
  confusion_of(&c, 2, truth, pred, 3);
  check_report(&c, names, 3, want, "a long name, 3 digits");
  rt_confusion_free(&c);
}

static const char ten_truth[] =
  "945807302157368193036426212997220033224538323640562241549909514547527720"
  "405608656907029313758584719540613589525481454212472019860395476200753292"
  "612652064279287757447621682752174888515904584744529078454748554565275582"
  "823574162998649840329792320732021527380675691933505646185089414885945266"
  "985722969732915061599825966637476629944746054742701973402607884370374244"
  "797891024485948075592004871830669976763471406947422787582698013411056167"
  "011391247229262193081614099169206159775502429848893418344823576220519011"
  "897367751808602631173296534595662546580993261100233077506749657713221567"
  "284142430705550077215473203093196542754172323096407076200889511371703076"
  "004674003286383151182913907857696820473812471465228173169340730345116568"
  "042907200641682514224754018800102564903862535502992148922766155737962702"
  "877901260300937567334348853553097652237601261435778913601899926050948687"
  "867980826590834410159964043101459983781135866066283956518531344491216231"
  "9986636789346419526021498992635915107281537639710321152591975";
static const char ten_pred[] =
  "249817702157768193036124252997120083244538783640262241549709974547529720"
  "406602256137029713758584719540613519525488454212432019860795476200753292"
  "512652091279287527447621654752144888725954587744529078454748554465275587"
  "825774662992649240739792420782021527490675691133565648185089411885945866"
  "980726969832715061599825961637476627944746054742901273402607464770774244"
  "797801034485948435592004871830629976773471409997422587282698016411056167"
  "416791277229062593041610095179206157575502729848893418744821516220519011"
  "897467753808702601478296564595664541580993141100233077526949651743221567"
  "684182436705580077015475203093491595754172723006487076200859711781709076"
  "004674003281789141182913907457696920473817471464228173171740730749116568"
  "023907260641672514224754018800102714903863738502932433922766155737561702"
  "877901265700937867034748843503077651239601261435778913671898926050998687"
  "867975846590834418159964043901519683781135836066280956518531747490216231"
  "9986636788326519526061498692635915907201537689711311132591975";

static void test_ten_classes(void) {
  static const char want[] =
      "              precision    recall  f1-score   support\n"
      "\n"
      "           0     0.8812    0.8558    0.8683       104\n"
      "           1     0.7810    0.8454    0.8119        97\n"
      "           2     0.8654    0.7965    0.8295       113\n"
      "           3     0.7969    0.5930    0.6800        86\n"
      "           4     0.7850    0.8317    0.8077       101\n"
      "           5     0.8218    0.7830    0.8019       106\n"
      "           6     0.8557    0.8218    0.8384       101\n"
      "           7     0.6818    0.8654    0.7627       104\n"
      "           8     0.7907    0.8095    0.8000        84\n"
      "           9     0.8200    0.8119    0.8159       101\n"
      "\n"
      "    accuracy                         0.8044       997\n"
      "   macro avg     0.8079    0.8014    0.8016       997\n"
      "weighted avg     0.8091    0.8044    0.8039       997\n"
    ;
  int32_t truth[997], pred[997];
  RtConfusion c;
  for (int i = 0; i < 997; i++) {
    truth[i] = ten_truth[i] - '0';
    pred[i] = ten_pred[i] - '0';
  }
  rt_confusion_init(&c, 10);
  rt_confusion_add(&c, truth, pred, 500);        /* in two batches */
  rt_confusion_add(&c, truth + 500, pred + 500, 497);
  check_report(&c, NULL, 4, want, "997 examples of 10 classes");
  ok(rt_confusion_total(&c) == 997, "997 counted");
  ok(rt_confusion_accuracy(&c) == rt_accuracy(truth, pred, 997) &&
     fabs(rt_accuracy(truth, pred, 997) - 802 / 997.0) < 1e-15,
     "accuracy 802/997 both ways");
  rt_confusion_free(&c);
}

static void test_confusion(void) {
  static const int32_t truth[] = {0, 1, 1, 2, 2, 2}, pred[] = {0, 2, 1, 2,
                                                               0, 2};
  static const char *const names[] = {"cat", "dog", "bird"};
  RtConfusion c;
  FILE *f = tmpfile();
  char *got;
  ok(rt_confusion_init(&c, 0) == -1 && c.counts == NULL,
     "no classes: refused");
  confusion_of(&c, 3, truth, pred, 6);
  ok(c.counts[0] == 1 && c.counts[1 * 3 + 2] == 1 && c.counts[2 * 3 + 0] ==
     1 && c.counts[2 * 3 + 2] == 2, "counts[true][predicted]");
  rt_confusion_print(f, &c, names);
  got = printed(f);
  is_str(got, "      cat  dog bird\n"
              " cat    1    0    0\n"
              " dog    0    1    1\n"
              "bird    1    0    2\n", "the matrix as a table");
  free(got);
  f = tmpfile();
  rt_confusion_print(f, &c, NULL);
  got = printed(f);
  is_str(got, "  0 1 2\n0 1 0 0\n1 0 1 1\n2 1 0 2\n", "numbered classes");
  free(got);
  rt_confusion_reset(&c);
  ok(rt_confusion_total(&c) == 0 && rt_confusion_accuracy(&c) == 0,
     "reset: empty, accuracy 0");
  rt_confusion_free(&c);
  ok(c.counts == NULL && c.classes == 0, "freed");
}

static void test_argmax(void) {
  const float s[] = {1, 3, 3, NAN, 0, -1, 2, NAN, 5, -INFINITY, -INFINITY,
                     -INFINITY};
  const double d[] = {0.5, -2, 7, 1e300};
  int32_t out[4];
  rt_argmax(s, (int)sizeof s[0], 4, 3, out);
  ok(out[0] == 1 && out[1] == 1 && out[2] == 2 && out[3] == 0,
     "argmax: first on ties, NaN never wins, all -inf gives 0");
  rt_argmax(d, (int)sizeof d[0], 2, 2, out);
  ok(out[0] == 0 && out[1] == 1, "argmax of doubles");
  ok(rt_accuracy(out, out, 0) == 0, "accuracy of nothing is 0");
}

static void test_reconstruction(void) {
  const float a[] = {0, 0.5f, 1, 1}, b[] = {0, 0, 1, 0.5f};
  float out[8], target[8] = {0};
  double outd[8], targetd[8] = {0};
  RtRecon r = {0}, rd = {0}, z = {0};
  double want = 10 * log10(2 / (0x1p-6 + 0x1p-14));
  ok(rt_mse(a, b, 4) == 0.125, "MSE 0.125");
  ok(fabs(rt_psnr(0.125) - 9.030899869919435) < 1e-12, "PSNR 10 log10 8");
  ok(isinf(rt_psnr(0)) && rt_mse(a, b, 0) == 0, "PSNR of no error: inf");
  for (int i = 0; i < 8; i++) {
    out[i] = i < 4 ? 0.125f : 0.0078125f;        /* errors 2^-3, 2^-7 */
    outd[i] = out[i];
  }
  rt_recon_add(&r, out, target, 2, 4);
  rt_recon_add_f64(&rd, outd, targetd, 2, 4);
  ok(rt_recon_mse(&r) == (0x1p-6 + 0x1p-14) / 2, "MSE over the set");
  ok(fabs(rt_recon_psnr(&r) - want) < 1e-12, "PSNR of the set's MSE %.6f",
     rt_recon_psnr(&r));
  ok(fabs(rt_recon_psnr_mean(&r) - 100 * log10(2)) < 1e-12,
     "mean of 18.06 and 42.14 dB: %.6f", rt_recon_psnr_mean(&r));
  ok(rt_recon_mse(&rd) == rt_recon_mse(&r) &&
     fabs(rt_recon_psnr_mean(&rd) - rt_recon_psnr_mean(&r)) < 1e-12,
     "the same in double");
  rt_recon_add(&z, target, target, 2, 4);
  ok(isinf(rt_recon_psnr(&z)) && isinf(rt_recon_psnr_mean(&z)),
     "exact reconstruction: inf dB");
  memset(&z, 0, sizeof z);
  ok(rt_recon_mse(&z) == 0 && rt_recon_psnr_mean(&z) == 0, "empty: 0");
}

int main(void) {
  test_doc_example();
  test_absent_class();
  test_long_names();
  test_ten_classes();
  test_confusion();
  test_argmax();
  test_reconstruction();
  return tap_done();
}

"""Concept matching, sentence by sentence: synonyms, same-sentence rules, negation."""

from __future__ import annotations

from service.scoring import CompiledRubric, GradeResult, grade
from service.scoring.analysis import analyse
from service.scoring.concepts import match_concepts, match_rule


def _status(compiled: CompiledRubric, answer: str, concept: str) -> str:
    return next(i.status for i in grade(compiled, answer).items if i.concept_id == concept)


def test_negation_cancels_a_match_and_is_flagged(ic: CompiledRubric) -> None:
    result = grade(ic, "我认为内部客户关系不是相互的,上级永远是客户。")
    item = next(i for i in result.items if i.concept_id == "reciprocity")
    assert item.status == "missing" and item.points == 0
    assert item.contradicted
    assert "contradiction" in {f.code for f in result.flags}


def test_negation_scope_ends_at_contrast(ic: CompiledRubric) -> None:
    assert _status(ic, "内部客户关系不是单向的,而是相互的,双方互为客户、互为供方。", "reciprocity") == "met"


def test_all_of_rule_needs_its_parts_in_the_same_sentence(waste: CompiledRubric) -> None:
    together = "我家把厨余垃圾和其他垃圾分开投放。"
    apart = "我家很干净。厨余垃圾分开放。"
    assert _status(waste, together, "action") == "met"
    assert _status(waste, apart, "action") == "missing"


def test_synonyms_count_once(ic: CompiledRubric) -> None:
    once = grade(ic, "领导给员工安排任务,领导就是员工的客户。")
    many = grade(ic, "领导、上级、主管、经理给员工、下属、下级安排任务,领导、上级、主管就是员工的客户。")
    rank_once = next(i for i in once.items if i.concept_id == "rank")
    rank_many = next(i for i in many.items if i.concept_id == "rank")
    assert rank_once.status == rank_many.status == "met"
    assert rank_once.points == rank_many.points


def test_a_question_asserts_nothing(ic: CompiledRubric) -> None:
    assert _status(ic, "上级和下级是不是互为客户、互为供方呢?", "reciprocity") == "missing"


def test_evidence_offsets_point_into_the_submitted_text(ic: CompiledRubric) -> None:
    answer = "　前言。\n內部客戶關係是相互的，上級與下級互為客戶、互為供方。"
    result = grade(ic, answer)
    item = next(i for i in result.items if i.concept_id == "reciprocity")
    assert item.evidence
    for ev in item.evidence:
        assert answer[ev.start : ev.end] == ev.text
        assert "互為供方" in ev.text


def test_a_second_rubric_on_another_topic_works_without_code(waste: CompiledRubric) -> None:
    answer = "生活垃圾分为可回收物、有害垃圾、厨余垃圾和其他垃圾四类。分类能减少污染,节约资源。我家每天都分开投放。"
    result = grade(waste, answer)
    assert result.rubric_id == "waste-sorting"
    assert result.score == result.max_score == 6
    assert all(i.status == "met" for i in result.items)


def test_a_short_opener_lends_its_topic_to_the_next_sentence(ic: CompiledRubric) -> None:
    # "科室和科室之间也一样" opens the topic; the next sentence says what it means, without naming it.
    said = "她们给我们配药,我们给她们报用量。"
    assert _status(ic, "科室和科室之间也一样。" + said, "function") == "met"
    assert _status(ic, said, "function") == "missing"


def test_the_clause_after_a_semicolon_goes_on_with_the_one_before(ic: CompiledRubric) -> None:
    # A semicolon ends a sentence for the evidence shown, but the clause after it still speaks of
    # whom the clause before it named (here the team leader, as "他").
    after = "可下雨天人手不够,他得给我们调人、给我们拿雨具,这就是他为我们服务了。"
    assert _status(ic, "队长要我们准点装完,我们得让他满意;" + after, "reciprocity") == "met"
    assert _status(ic, "队长要我们准点装完,我们得让他满意。" + after, "reciprocity") != "met"


def test_an_opener_in_a_bare_list_of_terms_explains_nothing(ic: CompiledRubric) -> None:
    listed = "职级客户、职能客户、工序客户\n互为客户\n权利、义务\n片面"
    result = grade(ic, listed)
    assert all(i.status != "met" for i in result.items)


def test_a_rule_element_needs_words_of_its_own(ic: CompiledRubric) -> None:
    # 互为客户 is one phrase: the 客户 inside it is not a second element of the rule.
    rule = next(r for r in ic.rules["reciprocity"] if r.all == ("@customer", "@mutual_plain"))
    named = analyse(ic, "我们和仓库互为客户。").sentences[0]
    stated = analyse(ic, "我们和仓库互为客户,这件事上我们是仓库的客户。").sentences[0]
    assert match_rule(rule, named) == "none"
    assert match_rule(rule, stated) == "match"


def test_kinds_explained_only_the_one_sided_way_earn_half(ic: CompiledRubric) -> None:
    one_way = "上级是下级的客户,领导布置任务,我们做到领导满意就行,下级不该提要求,服从安排就行。"
    both_ways = "上级是下级的客户,领导布置任务,我们要做到领导满意;反过来领导也得给我们资源和指导。"
    assert _status(ic, one_way, "rank") == "partial"
    assert _status(ic, both_ways, "rank") == "met"


def test_terms_dropped_into_an_outing_story_earn_nothing(ic: CompiledRubric) -> None:
    story = (
        "周末车间去郊游,大家在山脚合影,组长说这是职级客户的团建。"
        "中午聚餐吃烧烤,每个人都有吃零食的权利,也有收拾垃圾的义务。"
        "下山时大家互为供方,互相拿包,玩得很开心。"
    )
    result = grade(ic, story)
    assert result.score == 0


def test_naming_the_kinds_earns_naming_credit_but_a_bare_list_does_not(ic: CompiledRubric) -> None:
    # A classification ("……分成……三类") names its kinds, even though it explains none of them.
    for named in [
        "按来源看,内部客户可以分成三类:职级客户、职能客户和工序客户。",
        "内部客户有三种:职级客户,职能客户,工序客户。",
    ]:
        result = grade(ic, named)
        statuses = {i.concept_id: i.status for i in result.items}
        assert statuses["rank"] == statuses["function"] == statuses["process"] == "partial", named
        assert not {"off_topic", "keyword_list"} & {f.code for f in result.flags}, named
        assert 0 < result.score <= 0.25 * result.max_score
    # A bare line of terms is still a keyword list, with or without a marker in front.
    for listed in [
        "职级客户、职能客户、工序客户、互为供方、权利、义务、片面",
        "关键词包括:职级客户、职能客户、工序客户、相互性、权利、义务、片面",
    ]:
        result = grade(ic, listed)
        assert "keyword_list" in {f.code for f in result.flags}, listed
        assert result.score <= 0.25 * result.max_score


def test_a_view_stated_to_be_rejected_earns_only_the_critique(ic: CompiledRubric) -> None:
    # The quoted view is what the candidate calls one-sided: it does not explain the departments.
    rejected = "有的同事把内部客户理解成“销售部门提需求,财务部门就得为销售服务”,这种理解是片面的。"
    assert _status(ic, rejected, "one_sided") == "met"
    assert _status(ic, rejected, "function") == "missing"
    assert _status(ic, "销售部门提需求,财务部门就为销售服务。", "function") == "met"
    # After a contrast (其实……) the sentence says what the candidate holds, and that counts.
    corrected = "有人觉得只有领导才是客户,这种看法不对,其实领导派任务时领导是客户,员工要资源时领导也得为员工服务。"
    assert _status(ic, corrected, "one_sided") == "met"
    assert _status(ic, corrected, "reciprocity") == "met"


def test_a_sentence_opening_with_a_word_that_refers_back_is_read_with_the_one_before(ic: CompiledRubric) -> None:
    # "反过来……他……": who "he" is, and what he asks for, the previous sentence says.
    roles = "主管每周给我们组布置任务,等着我们交结果,月底还要给我们每个人打分。"
    back = "反过来我们要完成任务,也得靠他给人手和指导。"
    assert _status(ic, roles + back, "reciprocity") == "met"
    # Read the other way round, nothing before the opener says whom it is about.
    assert _status(ic, back + roles, "reciprocity") == "missing"


def test_departments_serving_each_other_describes_the_kind_not_reciprocity(ic: CompiledRubric) -> None:
    # The guide: functional departments provide services to each other (the kind); reciprocity is
    # each side being the other's customer and supplier in turn.
    for kind in [
        "第二种是职能客户,指各职能部门之间互相提供服务。",
        "内部客户是指企业里相互提供产品和服务的部门和员工。",
    ]:
        assert _status(ic, kind, "reciprocity") == "missing", kind
    assert _status(ic, "我们和仓库之间是相互的,今天我是他们的客户,明天他们是我的客户。", "reciprocity") == "met"


def test_terms_strung_together_in_one_run_earn_nothing(ic: CompiledRubric) -> None:
    # One run of terms, a modal negator in the middle, no clause of its own: the negator forbids
    # what follows it, it does not deny the terms before it. Written to fool a keyword grader, the
    # run shows nothing (engine 0.8.1; it named three concepts before). Terms listed as a sentence
    # that names the kinds ("分为……三种") still name them.
    strung = "内部客户有职级客户职能客户工序客户并且互为供方讲究相互性有权利也有义务不要片面看待要联系实际。"
    evidence = match_concepts(ic, analyse(ic, strung))
    assert not [cid for cid, e in evidence.items() if e.level]
    assert not evidence["rank"].negated_in and not evidence["reciprocity"].negated_in
    assert grade(ic, strung).score == 0
    kinds = grade(ic, "内部客户分为职级客户、职能客户、工序客户三种。")
    assert {i.concept_id for i in kinds.items if i.status == "partial"} == {"rank", "function", "process"}


def test_roles_swapping_over_time_and_a_boss_relying_on_staff_in_everyday_words(ic: CompiledRubric) -> None:
    # The guide: positions swap with the task; a superior needs what the subordinate provides.
    swapped = "我和仓库之间就是这样,这次我找仓库要货,我是他们的客户,下次仓库找我要单据,他们成了我的客户。"
    assert _status(ic, swapped, "reciprocity") == "met"
    assert _status(ic, "这次我找仓库要货,我是他们的客户。", "reciprocity") == "missing"
    assert _status(ic, "主管离不开下面的组员。", "rank") == "met"
    # Rubric 2026.11.27.15: each side called the customer in its turn, with no possessive to tie them.
    turns = "调度要我报数,我报了,他是客户;他得给我派车,那时候我是客户。"
    assert _status(ic, turns, "reciprocity") == "met"
    assert _status(ic, "调度要我报数,我报了,他是客户。", "reciprocity") == "missing"
    # Rubric 2026.11.27.18: any pronoun and verb ("他是我们的客户……我们又是他的客户").
    both = "值长要我们操作准确,他是我们的客户。但我们要干好,值长得把措施交代到位,这时我们又是他的客户。"
    assert _status(ic, both, "reciprocity") == "met"
    # Rubric 2026.11.27.16: everyday words for a one-sided reading and for things getting worse.
    assert _status(ic, "我觉得“上级是下级的客户”这句话只说对了一半。", "one_sided") != "missing"
    assert _status(ic, "一味强调单方面让上级满意,团队里的沟通会越来越差。", "one_sided") == "met"
    # Rubric 2026.11.27.17: a definition, a duty and a right in everyday words.
    assert _status(ic, "我理解的内部客户,是单位里接住我的工作再往下用的那个人、那个岗位。", "definition") == "met"
    assert _status(ic, "这个关系不是单行道,该我给的我要给到位,需要别人的我可以正常提。", "rights_obligations") == "met"


def test_everyday_wording_from_many_workplaces_is_credited(ic: CompiledRubric) -> None:
    # Written for this test, in the words of a fitter, a nurse, a driver, a bank clerk…: none uses
    # the textbook terms, and rubric 2026.11.5 credited none of these concepts.
    plain = [
        ("definition", "工友也是客户,我干的活最后是他们接着用。"),
        ("rank", "师傅吩咐我做的活,我得做到他满意。"),
        ("rank", "我每周给主任汇报进度,他要的是按时交差。"),
        ("function", "车队跟调度要单子,调度得先把单子给他们排好。"),
        ("process", "前面的人干得马虎,后面的人就得返工。"),
        ("process", "钢筋扎不好,后面支模板、浇筑的人就没法干。"),
        ("reciprocity", "我是他们的客户,他们也是我的客户。"),
        ("reciprocity", "这件事我求他,那件事他求我,身份是会换的。"),
        ("rights_obligations", "该我干的不能推,该我要的也不用不好意思。"),
        ("one_sided", "如果各部门都只顾自己,就会踢皮球,一盘散沙。"),
        ("own_example", "我以前在银行后台做结算,柜面等着我们的结果。"),
    ]
    for concept, sentence in plain:
        assert _status(ic, sentence, concept) == "met", (concept, sentence)
    # The same everyday words in a story about something else still earn nothing.
    outing = "周末我们班组去农家乐聚餐,工头吩咐大家把烤串递给后面的人,谁也少不了谁。"
    assert grade(ic, outing).score == 0


def test_work_handed_on_in_sequence_is_a_process_customer(ic: CompiledRubric) -> None:
    # Rubric 2026.11.27.12: "再交给" holds the handing-over word 交给; read as one phrase, a step handed on in
    # sequence is the process relation. A shift handing over to the next is one too.
    assert _status(ic, "我们按订单分拣装箱,再交给发货的兄弟。", "process") == "met"
    assert _status(ic, "交接的时候前一班没把料备齐,后一班就很辛苦。", "process") == "met"
    # Rubric 2026.11.27.14: everyday words for serving and for the supplier.
    assert _status(ic, "流水线上每一步都是下一步的供货人,后面的人就是前面的人要照顾好的对象。", "process") == "met"
    assert _status(ic, "我把报表做好,再交给科长审核。", "process") != "met"  # handed up to a superior: rank


def test_goods_handed_to_an_outside_buyer_are_no_process_customer(ic: CompiledRubric) -> None:
    # Handing a parcel or a meal to a buyer is external service; handing work to the next step is not.
    assert _status(ic, "快递员把包裹交给顾客,顾客签收以后才算完成任务。", "process") == "missing"
    assert _status(ic, "外卖骑手把餐递给客人,客人满意就给好评。", "process") == "missing"
    assert _status(ic, "我把焊好的零件交给下一道工序,下一道工序就是我的顾客。", "process") == "met"


def test_an_example_of_serving_outside_buyers_is_no_example_of_internal_customers(ic: CompiledRubric) -> None:
    # The guide credits an example from one's own job of the relation asked about: the internal one.
    # Rubric 2026.11.27.11: naming one's workplace while talking of its buyers is not even a start of one.
    assert _status(ic, "我们门店把货交给顾客,顾客满意才会回头。", "own_example") == "missing"
    assert _status(ic, "我们酒店很看重客人的意见,每一条都要整改。", "own_example") == "missing"
    assert _status(ic, "我在门店收银,仓库补货慢了我们就得干等,仓库其实也在为我们服务。", "own_example") == "met"


def test_a_general_statement_in_the_first_person_is_no_example_from_ones_work(ic: CompiledRubric) -> None:
    # Rubric 2026.11.12: "我是/我给/在我们…" beside the word 客户 states the relation in general; an
    # example needs one's own job or unit, a unit, step or superior beside it, or an example marker.
    general = [
        "这件事你是我的客户,换一件事我是你的客户。",
        "这三类客户在我们日常工作中都会遇到。",
        "在一项工作里我是给人服务的一方,在另一项工作里我要求别人配合。",
    ]
    for sentence in general:
        assert _status(ic, sentence, "own_example") != "met", sentence
    # "本岗位" in a definition is anyone's post, not the candidate's (rubric 2026.11.27.11).
    assert _status(ic, "所谓内部客户,就是在单位内部使用本岗位产出的人和部门。", "own_example") == "missing"
    concrete = [
        "我每天给仓库报领料单,仓库按单发料。",
        "我是包装组的,上次急单我找主任要了两个临时工。",
        "我负责排班,一线的同事就是我要服务的人。",
    ]
    for sentence in concrete:
        assert _status(ic, sentence, "own_example") == "met", sentence


def test_a_sentence_in_spoken_words_names_what_it_says_though_unlike_the_references(ic: CompiledRubric) -> None:
    # Engine 0.7.2: a sentence far from the references loses its naming credit only when it holds the
    # subject's own terms (dropped into something else); everyday words are no such terms.
    first = "后面的工位接我们的活,就是我们的客户。"
    spoken = grade(ic, first + "说到底大家都是互相的,谁也别摆架子。")
    assert next(i.status for i in spoken.items if i.concept_id == "reciprocity") == "partial"
    dropped = grade(ic, first + "中午食堂的饺子互为供方,谁也别多拿。")
    assert next(i.status for i in dropped.items if i.concept_id == "reciprocity") == "missing"


def test_clauses_read_together_do_not_undo_a_denial(ic: CompiledRubric) -> None:
    # Engine 0.7.3: a clause after a semicolon is read with the one before, but what either denies
    # stays denied; an answer that denies the points one clause after another earns nothing.
    denial = "部门之间谈不上什么客户;前后工序更谈不上是客户,前面干完就完了,后面出了问题自己兜着。"
    assert _status(ic, denial, "process") != "met"
    assert _status(ic, denial, "function") != "met"
    against = (
        "内部客户只是个说法,公司里只有外面的买家才算客户。职级客户不存在,上级不欠下级什么服务;"
        "部门之间谈不上什么客户;前后工序更谈不上是客户,前面干完就完了,后面出了问题自己兜着。"
        "也没有什么相互性,根本不可能互为客户。"
    )
    assert grade(ic, against).score == 0


def test_a_view_the_next_sentence_rejects_earns_only_the_critique(ic: CompiledRubric) -> None:
    # Engine 0.8.0, `view_pointers`: "这种看法太片面了" rejects what the sentence before said, semicolon
    # clauses included; the same pointer without a critique leaves the sentence its concepts.
    rejected = grade(
        ic,
        "不少同事觉得车间主任是工人的客户,工人只管听安排;仓库也总说生产部门得围着采购转。"
        "这种看法太片面了,只会让大家互相推。",
    )
    met = {i.concept_id for i in rejected.items if i.status == "met"}
    assert "one_sided" in met and not met & {"rank", "function"}
    stated = "车间主任给工人派活,工人干完交给他验收,主任就是工人的客户。"
    for after in ("这种看法我很赞同。", "这种看法片面吗?"):  # no critique; a question rejects nothing
        agreed = grade(ic, stated + after)
        assert next(i.status for i in agreed.items if i.concept_id == "rank") == "met", after


def test_one_side_serving_too_is_no_mutual_relation(ic: CompiledRubric) -> None:
    # "也要为……服务" adds one more party that serves; it does not turn the relation round.
    assert _status(ic, "后道工序是前道工序的客户,后勤也要为一线班组服务。", "reciprocity") != "met"


def test_a_chain_of_steps_is_no_mutual_relation(ic: CompiledRubric) -> None:
    # "又是" passing work on down a chain (A serves B, B serves C) is not A and B swapping roles.
    chain = "我把面团交给烤炉组,烤炉组是我的客户;烤好的面包交给包装组,包装组又是烤炉组的客户。"
    assert _status(ic, chain, "reciprocity") != "met"
    # Taking over each other's work in turn is.
    turns = "今天我接你的活,明天你接我的活,谁也不比谁高一头。"
    assert _status(ic, turns, "reciprocity") == "met"


def test_rights_and_duties_earn_the_concept_only_about_work_and_service(ic: CompiledRubric) -> None:
    # `about: ["@subject"]`: 权利 and 义务 attached to anything (dishes, prizes) name the idea at most.
    assert _status(ic, "为同事提供服务是义务,向对方提出要求是权利。", "rights_obligations") == "met"
    assert _status(ic, "午饭后洗碗是义务,挑座位是权利。", "rights_obligations") != "met"
    # The anchor is no part of the statement: a negator before it denies nothing, and a refuted view
    # does not start at it (the duty before "只……是片面的" still counts).
    assert _status(ic, "服务同事是义务,提出要求是权利,只讲单向就是片面的。", "rights_obligations") == "met"


# Written for these tests: the terms dropped into stories that have nothing to do with work.
SCATTERED_STORIES = [
    "周末我和表哥去水库钓鱼,他说钓鱼讲究工序,先打窝再下竿,下道工序是上道工序的客户。我负责挂饵,表哥负责收线,"
    "我们互为客户也互为供方。中午鱼不咬钩,表哥说等待是钓鱼人的义务,钓到大鱼是我们的权利。有人说只看鱼竿贵不贵太片面了。"
    "最后我们钓了三条鲫鱼,回家做了鱼汤。",
    "昨晚看足球比赛,教练说球队也讲内部客户关系,后卫把球传给中场,中场就是后卫的客户,前锋又是中场的客户,大家互为客户、"
    "互为供方。队长说防守是每个人的义务,射门是前锋的权利。解说员说只看进球数评价球员太片面了。最后两队踢平。",
    "今年公司年会很热闹。主持人开场说内部客户关系很重要,然后各部门表演节目。职级高的领导先上台唱歌,我们工序班组演了小品。"
    "抽奖时大家互为客户,互为供方,你抽到我的礼物,我抽到你的礼物。领取奖品是权利,上台表演是义务。"
    "有人说年会只有吃饭是片面的看法。最后大家合影留念。",
]


def test_terms_scattered_through_a_story_about_something_else_earn_nothing(ic: CompiledRubric) -> None:
    for story in SCATTERED_STORIES:
        result = grade(ic, story)
        assert result.score == 0, story
        assert "off_topic" in {f.code for f in result.flags}, story


def _credited(compiled: CompiledRubric, answer: str, *, without: str) -> GradeResult:
    """The result of an answer that must earn at least half marks and not be flagged ``without``."""
    result = grade(compiled, answer)
    assert without not in {f.code for f in result.flags}
    assert result.score >= 5
    return result


def test_a_correct_passage_told_inside_a_family_story_is_credited(ic: CompiledRubric) -> None:
    # The story's words sit beside the passage, not in it: the answer is graded on what the passage shows.
    answer = (
        "过年回家,我妈问我在物流公司干得怎么样。我跟她说,我们调度室每天把派车单交给车队,车队就是我们的客户,"
        "单子排错了司机就白跑一趟;反过来,车队得把回单及时交回来,我们才能结账,这时候我们又成了车队的客户。"
        "领导给我们定任务要结果,可我们也得找领导要车、要人,所以谁是客户是跟着事情变的。"
        "把单子排好是我的本分,需要车队配合的时候我也可以大大方方提。吃完饭我们全家去逛街,买了不少年货。"
    )
    result = _credited(ic, answer, without="off_topic")
    met = {i.concept_id for i in result.items if i.status == "met"}
    assert {"reciprocity", "rights_obligations", "own_example"} <= met


def _assert_copied_back(compiled: CompiledRubric, answer: str) -> None:
    result = grade(compiled, answer)
    assert result.score == 0
    assert "copied_prompt" in {f.code for f in result.flags}


def test_the_prompts_statements_rearranged_inside_a_sentence_earn_nothing(ic: CompiledRubric) -> None:
    # Written for this test: the prompt's three relations turned round, with a lead-in of one's own.
    rearranged = (
        "企业文化里讲的客户关系,我用自己的话说:下级的客户是上级,上道工序的客户是下道工序,服务部门的客户是需求部门。"
        "在工作中就是这样理解的。"
    )
    _assert_copied_back(ic, rearranged)
    # Quoted inside an explanation of one's own, a prompt clause names its concept at most; the
    # candidate's own clause beside it still explains.
    quoted = "我们仓库天天给车间发料,下道工序就是上道工序的客户,车间就是我们的客户。"
    assert _status(ic, quoted, "process") == "partial"
    assert _status(ic, quoted, "function") == "met"
    assert _status(ic, "上级是下级的客户,下级也是上级的客户,双方互为客户。", "reciprocity") == "met"


def test_a_relation_stated_across_consecutive_sentences_is_credited(ic: CompiledRubric) -> None:
    # `span`: the duty in one sentence and the right in the next; the relation from both ends, with a
    # question of one's own in between.
    assert (
        _status(ic, "给下一个岗位把活干好是应该的。需要同事配合的时候,我也有权利提出来。", "rights_obligations")
        == "met"
    )
    both_ends = "队长给我派活,那他是我的客户。可他不给我排好线路,我咋跑?那时候我就是他的客户了。"
    assert _status(ic, both_ends, "reciprocity") == "met"
    # Each sentence alone states one side only.
    assert _status(ic, "队长给我派活,那他是我的客户。", "reciprocity") != "met"
    # A negated side does not count.
    assert (
        _status(ic, "给下一个岗位把活干好是应该的。需要同事配合的时候,我也没有权利提出来。", "rights_obligations")
        != "met"
    )


def test_negations_inside_a_complete_answer_do_not_make_it_argue_against_the_question(ic: CompiledRubric) -> None:
    # Written for this test: each point is explained, and three sentences also hold a negation
    # ("不当供方", "没有谁永远", "才不会……不做"). Before, three concepts "negated somewhere" voided it all.
    answer = (
        "内部客户就是公司里接收我们工作成果的人、部门和下一个环节。"
        "领导给我们派活,要的是结果,这时领导是我们的客户;我们要把活干好,也离不开领导给的人手和授权,这时我们又是领导的客户。"
        "把上级看成下级的客户是单向的理解,是片面的,如果人人都只当客户不当供方,部门之间就没法配合。"
        "所以没有谁永远是客户,位置跟着任务变。"
        "为别人把服务做好是义务,需要别人配合时提出要求是权利,弄清自己的位置,才不会该做的不做、该要的不敢要。"
    )
    _credited(ic, answer, without="contradiction")


def test_a_sentence_crammed_with_every_term_names_no_more_than_one_sentence_may_earn(ic: CompiledRubric) -> None:
    crammed = "内部客户关系包括职级客户、职能客户、工序客户、相互性、互为客户互为供方、权利与义务以及片面理解的纠正。"
    named = [i for i in grade(ic, crammed).items if i.status != "missing"]
    assert len(named) <= ic.rubric.settings.max_concepts_per_sentence
    assert all(i.status == "partial" for i in named)


def test_an_answer_that_only_rearranges_the_prompt_earns_nothing(ic: CompiledRubric) -> None:
    # Most of its character pairs are the prompt's, and it states nothing the prompt does not.
    rearranged = (
        "客户关系就是内部客户。上道工序的客户是下道工序,下级的客户是上级,提供服务部门的客户是提出需求部门。"
        "所以上级是客户,下道工序是客户,提出需求的部门也是客户。"
    )
    _assert_copied_back(ic, rearranged)
    assert ic.prompt_concepts == {"rank", "function", "process"}


def test_a_view_the_answer_turns_away_from_is_not_the_view_it_holds(ic: CompiledRubric) -> None:
    # The one-sided view first, then a sentence that turns from it ("不过……"): what follows the turn
    # counts, and the view left behind is no contradiction. Without the turn it still is one.
    stated = "刚进厂时我觉得车间主任让干啥就干啥,主任满意就行。"
    after = "主任也得给我们把图纸和物料备齐,不然我们也干不成,所以也是互相的。"
    turned = grade(ic, stated + "不过后来想明白了," + after)
    assert next(i for i in turned.items if i.concept_id == "reciprocity").status == "met"
    assert "contradiction" not in {f.code for f in turned.flags}
    kept = grade(ic, stated + "后来想明白了," + after)
    assert next(i for i in kept.items if i.concept_id == "reciprocity").status == "missing"
    assert "contradiction" in {f.code for f in kept.flags}


def test_the_relation_stated_one_way_then_turned_round_is_mutual(ic: CompiledRubric) -> None:
    # Written for this test. One direction first, in the words of the one-way view, then "反过来……": the
    # second sentence is the other direction, not a view left standing beside the first.
    one_way = "上级是下级的客户。作为下级,本分就是服务好上级,上级交代的事必须办好。"
    for turn in ("反过来", "反之", "倒过来"):
        result = grade(ic, one_way + turn + ",上级也要给下级资源和指导,这时下级是上级的客户。")
        assert next(i for i in result.items if i.concept_id == "reciprocity").status == "met", turn
        assert "contradiction" not in {f.code for f in result.flags}


def test_an_example_names_the_things_of_ones_work_a_general_statement_does_not(ic: CompiledRubric) -> None:
    # Written for this test. Both tell of the candidate and a superior; only the first names concrete
    # things of the job (二号线, 扫描枪, 两把 …): words the rubric does not know and that are rare.
    told = "我又跟站长说,二号线的扫描枪还是不灵,他十分钟后从仓库拿了两把新的送过来。"
    vague = "我又跟站长说,这个事情还是不太好办,他很快就从仓库找人过来帮忙处理了。"
    assert [v.concrete for v in analyse(ic, told).sentences] == [6]
    assert _status(ic, told, "own_example") == "met"
    assert analyse(ic, vague).sentences[0].concrete < 4
    assert _status(ic, vague, "own_example") == "missing"


def test_everyday_english_words_of_the_workplace_are_credited(ic: CompiledRubric) -> None:
    # Rubric 2026.11.14 knew "manager" and "customer" but not these.
    boss = "我的supervisor给staff分配任务,他要的是我们按时交付,supervisor就是staff的customer。"
    assert _status(ic, boss, "rank") == "met"
    assert _status(ic, "我们team做完的活要hand over给下一个team,他们是我们的customer。", "function") == "met"


def test_the_prompt_rearranged_with_filler_words_and_its_instruction_echoed_earns_nothing(ic: CompiledRubric) -> None:
    # Written for this test. 的 slipped between the prompt's words, the question's own instruction
    # ("用自己的语言描述……在工作中……理解客户关系") echoed, and "用我" inside "用我自己的语言" is no
    # one using one's work.
    for answer in (
        "我在工作中是这样理解客户关系的：下道工序的客户是上道工序，上级是下级的客户；"
        "提出需求的部门是客户，提供服务的部门给它服务。以上是用我自己的语言描述的内部客户。",
        "提出需求的部门是提供服务的部门的客户，下道的工序是上道的工序的客户，下级的客户就是上级。"
        "我在工作中就是这样的理解。",
    ):
        _assert_copied_back(ic, answer)


def test_an_answer_holding_the_one_way_view_defines_and_illustrates_it_by_half(ic: CompiledRubric) -> None:
    # Written for this test. The guide: kinds described only one way earn half; the same holds for the
    # definition and the example an answer gives to show the one-way view is right.
    answer = (
        "在公司里，领导就是我们的客户，凡是领导交给我的活，我都得让他满意。"
        "比如我在仓库上班，主任让我盘点，我就加班把账对清楚。下级只需要让上级满意就行了，这就是内部客户。"
    )
    result = grade(ic, answer)
    status = {i.concept_id: i.status for i in result.items}
    assert status["definition"] == status["rank"] == status["own_example"] == "partial"
    assert "contradiction" in {f.code for f in result.flags}


def test_spoken_and_dialect_words_match_like_the_rubrics_own(ic: CompiledRubric) -> None:
    # 俺们 for 我们 (the rubric's `spoken_variants`), and the everyday forms of "whoever".
    assert _status(ic, "俺们车间的活干完了交给装配,装配那边就是俺们的客户。", "own_example") == "met"
    assert _status(ic, "不论是谁,后头接着干的那个人,就是你的客户。", "definition") == "met"
    assert _status(ic, "无论是谁,接过我手里这摊事往下干的,就是我的客户。", "definition") == "met"


def test_the_work_of_the_step_before_taken_over_by_the_next_is_the_process_relation(ic: CompiledRubric) -> None:
    # Written for this test: what the step before produced, in the hands of the one after (rubric 2026.11.27.3
    # knew neither 上一步 nor a step's 成果 as what passes between steps).
    for sentence in (
        "审稿时我们得把上一步的成果接过来。",
        "一道接一道，后面的人手里是前面的人的成果。",
        "排版这边用的都是前面环节的成果。",
    ):
        assert _status(ic, sentence, "process") == "met", sentence


def test_work_handed_on_so_that_the_next_step_need_not_redo_it_is_no_denial(ic: CompiledRubric) -> None:
    result = grade(ic, "我们要把零件做好交给下道工序不让他们返工。")
    assert next(i for i in result.items if i.concept_id == "process").status == "met"
    assert "contradiction" not in {f.code for f in result.flags}


def test_a_dense_summary_earns_what_each_clause_states_while_terms_strung_between_commas_earn_nothing(
    ic: CompiledRubric,
) -> None:
    # Engine 0.9.9: a sentence touching many concepts was "crowded" and named three at most; a summary
    # written clause by clause, each clause saying something in its own words, is no such sentence.
    summary = (
        "内部客户就是单位里接手我活的人和下道工序,上下级、部门间、前后工序三种都有,"
        "彼此互为客户也互为供方,位置跟着任务变。"
    )
    assert _status(ic, summary, "process") != "missing"
    assert _status(ic, summary, "reciprocity") == "met"
    # The same terms strung between commas, with no word of their own, still earn nothing.
    strung = "内部客户包括职级客户，职能客户，工序客户，互为客户，互为供方，权利义务，片面理解。"
    assert all(i.status == "missing" for i in grade(ic, strung).items)
    crammed = "内部客户包括职级客户、职能客户、工序客户、相互性、互为客户互为供方、权利与义务以及片面理解的纠正。"
    assert sum(i.points for i in grade(ic, crammed).items) <= 1.5


def test_a_statement_before_a_rhetorical_question_is_asserted(ic: CompiledRubric) -> None:
    # "The superior hands out the work and wants results, a customer, sure; but give me no people and no
    # money, and what do I work with?"
    spoken = "领导给我派活、要结果，领导是客户，这个没错，可领导不给人也不给钱，你拿啥干活？"
    assert _status(ic, spoken, "rank") == "met"
    # A rhetorical question needs no asking word (engine 0.9.16): the complaint before it is stated.
    complaint = "最烦有人老觉得自己是客户，别人都得伺候他，个个都当大爷，那仓库还转得动？"
    assert _status(ic, complaint, "one_sided") == "met"
    # A question that only sets up its topic asserts nothing, nor do the points posed as questions.
    assert _status(ic, "上级和下级，谁是谁的客户？", "rank") == "missing"
    posed = "上级是下级的客户，下级是不是也是上级的客户？部门之间谁为谁服务？下道工序算不算客户？"
    assert all(i.status == "missing" for i in grade(ic, posed).items)


def test_a_software_answer_continued_with_one_word_of_its_topic_stays_off_topic(ic: CompiledRubric) -> None:
    answer = (
        "我们部门刚给客户关系管理系统做完验收，里面有客户档案、商机和报表几个模块。"
        "系统按角色开账号，主管账号能看到下属名下的客户，员工离职时客户一键转给别人。"
        "另外部门之间也要互相支持。"
    )
    result = grade(ic, answer)
    assert "off_topic" in {f.code for f in result.flags}
    assert result.score <= 1.5


def test_the_kinds_named_by_their_short_forms_name_the_process_kind_too(ic: CompiledRubric) -> None:
    # Rubric 2026.11.27.6: 上下环节 names the process kind as 前后环节 does.
    answer = "内部客户就是公司里接我们活的人和部门,分职级(上下级)、职能(部门间)、工序(上下环节)三种。"
    assert _status(ic, answer, "process") != "missing"


def test_the_leader_as_the_one_internal_customer_is_the_one_sided_view_stated_as_right(ic: CompiledRubric) -> None:
    result = grade(ic, "我认为内部客户就是领导。车间主任就是我们所有人的客户,大家都要围着他转,他满意了活就干好了。")
    assert "contradiction" in {f.code for f in result.flags}
    # Reported in order to reject it, the same view is no contradiction.
    rejected = grade(ic, "有人以为内部客户就是领导,大家都要围着他转,这种理解是片面的,工作会卡住。")
    assert "contradiction" not in {f.code for f in rejected.flags}
